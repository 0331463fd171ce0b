-- Traffic: page views and visitors per UTM campaign (humans only; views without utm_campaign are left out).
SELECT
  utm_campaign,
  coalesce(utm_source, '(none)') AS utm_source,
  coalesce(utm_medium, '(none)') AS utm_medium,
  sum(page_views) AS page_views,
  sum(visitors) AS visitors
FROM {{rollup:traffic_campaigns}}
GROUP BY 1, 2, 3
ORDER BY 4 DESC, 1, 2, 3
