-- {{description}}
SELECT
  qr_code,
  {{dimension_columns}},
  sum(scans) AS scans
FROM {{rollup_rows}}
GROUP BY {{group_by}}
ORDER BY 1, {{measure_position}} DESC, {{dimension_positions}}
