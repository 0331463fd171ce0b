-- Traffic: the most viewed pages and their unique visitors (humans only); per-day visitor counts add up.
SELECT
  path,
  sum(page_views) AS page_views,
  sum(visitors) AS visitors
FROM {{rollup:traffic_pages}}
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 100
