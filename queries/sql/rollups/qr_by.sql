-- Rollup template qr_by_<dimensions>: per UTC day, scans per QR code and the rollup's dimensions (humans only).
-- Nulls stay null; the metric SQL labels them.
SELECT
  year, month, day,
  qr_code,
  {{dimensions}},
  count(*) AS scans
FROM {{events}}
WHERE event_type = 'qr_scan'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY year, month, day, qr_code, {{dimensions}}
