-- QR scans: how many scans led to a completed document download by the same visitor within 30 minutes.
-- Visitor ids rotate daily, so a scan and a download on two UTC days are never linked.
WITH scans AS (
  SELECT request_id, qr_code, visitor_id, event_time
  FROM {{events}}
  WHERE event_type = 'qr_scan'
    AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
    AND NOT is_bot
),
downloads AS (
  SELECT visitor_id, event_time
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
    ON d.visitor_id = s.visitor_id
   AND d.event_time >= s.event_time
   AND d.event_time <= s.event_time + INTERVAL '30' MINUTE
)
SELECT
  s.qr_code,
  count(*) AS scans,
  count(c.request_id) AS converted_scans,
  round(CAST(count(c.request_id) AS DOUBLE) / count(*), 4) AS conversion_rate
FROM scans s
LEFT JOIN converted c ON c.request_id = s.request_id
GROUP BY 1
ORDER BY 1
