-- Rollup qr_by_hour: per UTC day, scans per hour of the day, UTC (humans only).
SELECT
  year, month, day,
  hour(event_time) AS hour_utc,
  count(*) AS scans
FROM {{events}}
WHERE event_type = 'qr_scan'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY year, month, day, hour(event_time)
