-- Documents: requests, completed downloads and range parts per document and day (humans only).
-- A 206 response is one part of a range download; a download is complete when a 200 or the last part was served.
SELECT
  concat(year, '-', month, '-', day) AS day,
  document_id,
  count(*) AS requests,
  count_if(download_complete) AS completed_downloads,
  count_if(status = 206) AS range_parts,
  count(DISTINCT visitor_id) AS visitors
FROM {{events}}
WHERE event_type = 'document_download'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
  AND document_id IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
