-- Rollup qr_by_dimension: per UTC day, scans per QR code, country, city, device class and hour of day (UTC)
-- (humans only). Nulls stay null; the metric SQL labels them.
SELECT
  year, month, day,
  qr_code,
  country,
  city,
  device_class,
  hour(event_time) AS hour_utc,
  count(*) AS scans
FROM {{events}}
WHERE event_type = 'qr_scan'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY year, month, day, qr_code, country, city, device_class, hour(event_time)
