-- Traffic: page views and unique visitors per day (humans only); a day without a human page view has no row.
SELECT
  day,
  sum(page_views) AS page_views,
  sum(visitors) AS visitors
FROM {{rollup:traffic_daily}}
GROUP BY 1
HAVING sum(page_views) > 0
ORDER BY 1
