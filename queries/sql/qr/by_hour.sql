-- QR scans: scans per hour of the day, UTC (humans only).
SELECT
  hour_utc,
  sum(scans) AS scans
FROM {{rollup:qr_by_hour}}
GROUP BY 1
ORDER BY 1
