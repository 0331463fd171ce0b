-- Documents: requests, completed downloads and range parts per document and day (humans only).
-- A 206 response is one part of a range download; a download is complete when a 200 or the last part was served.
SELECT
  day,
  document_id,
  sum(requests) AS requests,
  sum(completed_downloads) AS completed_downloads,
  sum(range_parts) AS range_parts,
  sum(visitors) AS visitors
FROM {{rollup:documents_daily}}
GROUP BY 1, 2
ORDER BY 1, 2
