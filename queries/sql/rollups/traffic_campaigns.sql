-- Rollup traffic_campaigns: per UTC day and UTM campaign, source and medium (raw nulls), human page views and
-- visitors; views without utm_campaign are left out.
SELECT
  year, month, day,
  utm_campaign,
  utm_source,
  utm_medium,
  count(*) AS page_views,
  count(DISTINCT visitor_id) AS visitors
FROM {{events}}
WHERE event_type = 'page_view'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
  AND utm_campaign IS NOT NULL
GROUP BY year, month, day, utm_campaign, utm_source, utm_medium
