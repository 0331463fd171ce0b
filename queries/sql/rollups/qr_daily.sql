-- Rollup qr_daily: per UTC day and QR code, scans, scanning visitors and scans followed by a completed download
-- by the same visitor within 30 minutes (humans only). A scan and a download are linked within their day only:
-- visitor ids rotate daily, so one id never spans two days anyway.
WITH scans AS (
  SELECT year, month, day, request_id, qr_code, visitor_id, event_time
  FROM {{events}}
  WHERE event_type = 'qr_scan'
    AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
    AND NOT is_bot
),
downloads AS (
  SELECT year, month, day, visitor_id, event_time
  FROM {{events}}
  WHERE event_type = 'document_download'
    AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
    AND NOT is_bot
    AND download_complete
),
converted AS (
  SELECT DISTINCT s.request_id
  FROM scans s
  JOIN downloads d
    ON d.year = s.year
   AND d.month = s.month
   AND d.day = s.day
   AND d.visitor_id = s.visitor_id
   AND d.event_time >= s.event_time
   AND d.event_time <= s.event_time + INTERVAL '30' MINUTE
)
SELECT
  s.year, s.month, s.day,
  s.qr_code,
  count(*) AS scans,
  count(DISTINCT s.visitor_id) AS visitors,
  count(c.request_id) AS converted_scans
FROM scans s
LEFT JOIN converted c ON c.request_id = s.request_id
GROUP BY s.year, s.month, s.day, s.qr_code
