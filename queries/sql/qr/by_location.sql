-- QR scans: scans per code, country and city (GeoIP) (humans only).
SELECT
  qr_code,
  coalesce(country, '--') AS country,
  coalesce(city, '(unknown)') AS city,
  count(*) AS scans
FROM {{events}}
WHERE event_type = 'qr_scan'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY 1, 2, 3
ORDER BY 1, 4 DESC, 2, 3
