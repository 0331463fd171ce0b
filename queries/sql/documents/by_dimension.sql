-- {{description}}
SELECT
  document_id,
  {{dimension_columns}},
  sum(completed_downloads) AS completed_downloads
FROM {{rollup_rows}}
GROUP BY {{group_by}}
ORDER BY 1, {{measure_position}} DESC, {{dimension_positions}}
