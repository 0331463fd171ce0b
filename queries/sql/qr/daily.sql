-- QR scans: scans and unique scanning visitors per code and day (humans only).
SELECT
  concat(year, '-', month, '-', day) AS day,
  qr_code,
  count(*) AS scans,
  count(DISTINCT visitor_id) AS visitors
FROM {{events}}
WHERE event_type = 'qr_scan'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY 1, 2
ORDER BY 1, 2
