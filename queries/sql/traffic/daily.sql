-- Traffic: page views and unique visitors per day (humans only).
SELECT
  concat(year, '-', month, '-', day) AS day,
  count(*) AS page_views,
  count(DISTINCT visitor_id) AS visitors
FROM {{events}}
WHERE event_type = 'page_view'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY 1
ORDER BY 1
