-- {{description}}
SELECT
  document_id,
  {{dimension_columns}},
  count(*) AS completed_downloads
FROM {{events}}
WHERE event_type = 'document_download'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
  AND download_complete
GROUP BY {{group_by}}
ORDER BY 1, {{measure_position}} DESC, {{dimension_positions}}
