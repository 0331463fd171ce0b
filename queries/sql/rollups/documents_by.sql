-- Rollup template documents_by_<dimension>: per UTC day, completed downloads per document and the rollup's
-- dimensions (humans only). Nulls stay null; the metric SQL labels them.
SELECT
  year, month, day,
  document_id,
  {{dimensions}},
  count(*) AS completed_downloads
FROM {{events}}
WHERE event_type = 'document_download'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
  AND download_complete
GROUP BY year, month, day, document_id, {{dimensions}}
