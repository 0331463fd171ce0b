-- QR scans: scans per code and device class (humans only).
SELECT
  qr_code,
  coalesce(device_class, 'other') AS device_class,
  count(*) AS scans
FROM {{events}}
WHERE event_type = 'qr_scan'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2
