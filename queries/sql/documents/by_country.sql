-- Documents: completed downloads per document and viewer country (humans only).
SELECT
  document_id,
  coalesce(country, '--') AS country,
  count(*) AS completed_downloads
FROM {{events}}
WHERE event_type = 'document_download'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
  AND download_complete
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2
