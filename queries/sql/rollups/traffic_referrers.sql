-- Rollup traffic_referrers: per UTC day and referrer host (null: direct), human page views.
SELECT
  year, month, day,
  referrer_host,
  count(*) AS page_views
FROM {{events}}
WHERE event_type = 'page_view'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY year, month, day, referrer_host
