-- Rollup traffic_daily: per UTC day, requests of every event type, automated requests, human page views and
-- the distinct visitors who viewed a page.
SELECT
  year, month, day,
  count(*) AS requests,
  count_if(is_bot) AS bot_requests,
  count_if(event_type = 'page_view' AND NOT is_bot) AS page_views,
  count(DISTINCT CASE WHEN event_type = 'page_view' AND NOT is_bot THEN visitor_id END) AS visitors
FROM {{events}}
WHERE concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
GROUP BY year, month, day
