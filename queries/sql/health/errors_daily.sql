-- Pipeline health: records Firehose could not process or convert, per error type, code and arrival day.
-- raw_data holds each record's original bytes (base64) for replay.
SELECT
  concat(year, '-', month, '-', day) AS day,
  error_type,
  coalesce(error_code, '(none)') AS error_code,
  count(*) AS records,
  from_unixtime(min(arrival_timestamp) / 1000e0) AS first_arrival,
  from_unixtime(max(arrival_timestamp) / 1000e0) AS last_arrival
FROM {{errors}}
WHERE concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
