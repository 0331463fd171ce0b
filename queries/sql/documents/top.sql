-- Documents: the most downloaded documents in the window, with their unique visitors (humans only).
-- Visitor ids rotate daily, so a visitor who comes back another day counts again: per-day counts add up.
SELECT
  document_id,
  sum(completed_downloads) AS completed_downloads,
  sum(visitors) AS visitors
FROM {{rollup:documents_daily}}
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 100
