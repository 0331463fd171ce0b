-- Documents: completed downloads per document and device class (desktop, mobile, tablet; humans only).
SELECT
  document_id,
  coalesce(device_class, 'other') AS device_class,
  count(*) AS completed_downloads
FROM {{events}}
WHERE event_type = 'document_download'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
  AND download_complete
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2
