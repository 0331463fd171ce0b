-- Traffic: the most viewed pages and their unique visitors (humans only).
SELECT
  path,
  count(*) AS page_views,
  count(DISTINCT visitor_id) AS visitors
FROM {{events}}
WHERE event_type = 'page_view'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 100
