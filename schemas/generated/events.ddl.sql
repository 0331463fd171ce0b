CREATE EXTERNAL TABLE IF NOT EXISTS `analytics`.`events` (
  `event_time` timestamp COMMENT 'When CloudFront served the request (UTC, milliseconds).',
  `request_id` string COMMENT 'CloudFront x-edge-request-id; unique per request.',
  `host` string COMMENT 'Host header the viewer sent (x-host-header).',
  `path` string COMMENT 'URI path, percent-decoded.',
  `query_string` string COMMENT 'Raw query string as CloudFront logged it (still percent-encoded).',
  `method` string COMMENT 'HTTP method.',
  `protocol` string COMMENT 'Viewer protocol: http, https, ws or wss.',
  `http_version` string COMMENT 'HTTP version, e.g. HTTP/2.0.',
  `status` int COMMENT 'HTTP status CloudFront returned.',
  `bytes_sent` bigint COMMENT 'Bytes CloudFront sent to the viewer, headers included.',
  `time_taken_ms` int COMMENT 'Milliseconds from request received to last byte sent.',
  `time_to_first_byte_ms` int COMMENT 'Milliseconds from request received to first byte sent.',
  `content_type` string COMMENT 'Content-Type of the response.',
  `range_start` bigint COMMENT 'First byte of a range request, when the viewer asked for one.',
  `range_end` bigint COMMENT 'Last byte of a range request, when the viewer asked for one.',
  `download_complete` boolean COMMENT 'For documents: true when the whole file or its last range was served.',
  `referrer` string COMMENT 'Referer header, percent-decoded.',
  `referrer_host` string COMMENT 'Host part of the referrer, lower-case; null for direct traffic.',
  `utm_source` string COMMENT 'utm_source query parameter.',
  `utm_medium` string COMMENT 'utm_medium query parameter.',
  `utm_campaign` string COMMENT 'utm_campaign query parameter.',
  `document_id` string COMMENT 'Document this request downloads, for document_download events.',
  `qr_code` string COMMENT 'QR code id this request came from, for qr_scan events.',
  `browser` string COMMENT 'Browser family from the user agent.',
  `os` string COMMENT 'Operating system family from the user agent.',
  `device_class` string COMMENT 'Device class: desktop, mobile, tablet, bot, other.',
  `is_bot` boolean COMMENT 'True when the request looks automated.',
  `bot_reason` string COMMENT 'Why is_bot is true: the signal that matched.',
  `country` string COMMENT 'ISO 3166-1 alpha-2 country code.',
  `region` string COMMENT 'Region or state (GeoIP subdivision).',
  `city` string COMMENT 'City (GeoIP).',
  `asn` bigint COMMENT 'Autonomous system number of the viewer\'s network.',
  `visitor_id` string COMMENT 'Keyed hash of IP and user agent with a salt that rotates daily; never the IP.',
  `ip_prefix` string COMMENT 'Truncated client network (IPv4 /24, IPv6 /48); only when the config opts in.',
  `edge_location` string COMMENT 'Edge location that served the request, e.g. FRA56-P1.',
  `edge_result_type` string COMMENT 'x-edge-result-type: Hit, Miss, Error, ...'
)
COMMENT 'Website requests served by CloudFront, enriched; one row per request.'
PARTITIONED BY (
  `event_type` string,
  `year` string,
  `month` string,
  `day` string
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
WITH SERDEPROPERTIES (
  'serialization.format'='1'
)
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION 's3://example-lake-bucket/events/'
TBLPROPERTIES (
  'classification'='parquet',
  'parquet.compression'='SNAPPY',
  'projection.enabled'='true',
  'projection.event_type.type'='enum',
  'projection.event_type.values'='document_download,qr_scan,page_view,asset,api_call,other',
  'projection.year.type'='integer',
  'projection.year.range'='2020,2099',
  'projection.month.type'='integer',
  'projection.month.range'='1,12',
  'projection.month.digits'='2',
  'projection.day.type'='integer',
  'projection.day.range'='1,31',
  'projection.day.digits'='2',
  'storage.location.template'='s3://example-lake-bucket/events/event_type=${event_type}/year=${year}/month=${month}/day=${day}/'
);
