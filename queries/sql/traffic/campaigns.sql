-- Traffic: page views and visitors per UTM campaign (humans only; views without utm_campaign are left out).
SELECT
  utm_campaign,
  coalesce(utm_source, '(none)') AS utm_source,
  coalesce(utm_medium, '(none)') AS utm_medium,
  count(*) AS page_views,
  count(DISTINCT visitor_id) AS visitors
FROM {{events}}
WHERE event_type = 'page_view'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
  AND utm_campaign IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 4 DESC, 1, 2, 3
