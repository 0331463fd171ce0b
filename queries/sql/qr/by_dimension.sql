-- {{description}}
SELECT
  qr_code,
  {{dimension_columns}},
  sum(scans) AS scans
FROM {{rollup:qr_by_dimension}}
GROUP BY {{group_by}}
ORDER BY 1, {{measure_position}} DESC, {{dimension_positions}}
