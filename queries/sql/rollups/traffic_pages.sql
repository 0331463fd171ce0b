-- Rollup traffic_pages: per UTC day and page path, human page views and visitors.
SELECT
  year, month, day,
  path,
  count(*) AS page_views,
  count(DISTINCT visitor_id) AS visitors
FROM {{events}}
WHERE event_type = 'page_view'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY year, month, day, path
