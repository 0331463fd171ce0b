-- Documents: the most downloaded documents in the window, with their unique visitors (humans only).
-- Visitor ids rotate daily, so a visitor who comes back another day counts again.
SELECT
  document_id,
  count_if(download_complete) AS completed_downloads,
  count(DISTINCT visitor_id) AS visitors
FROM {{events}}
WHERE event_type = 'document_download'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
  AND document_id IS NOT NULL
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 100
