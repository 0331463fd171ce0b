-- {{description}}
SELECT
  qr_code,
  {{dimension_columns}},
  count(*) AS scans
FROM {{events}}
WHERE event_type = 'qr_scan'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY {{group_by}}
ORDER BY 1, {{measure_position}} DESC, {{dimension_positions}}
