-- QR scans: scans and unique scanning visitors per code and day (humans only).
SELECT
  day,
  qr_code,
  sum(scans) AS scans,
  sum(visitors) AS visitors
FROM {{rollup:qr_daily}}
GROUP BY 1, 2
ORDER BY 1, 2
