-- Rollup traffic_daily: per UTC day, requests of every event type, automated requests, human page views and
-- the distinct visitors who viewed a page.
-- count_if is cast: DuckDB returns HUGEINT where Athena returns bigint, and the table declares bigint.
SELECT
  year, month, day,
  count(*) AS requests,
  CAST(count_if(is_bot) AS BIGINT) AS bot_requests,
  CAST(count_if(event_type = 'page_view' AND NOT is_bot) AS BIGINT) AS page_views,
  count(DISTINCT CASE WHEN event_type = 'page_view' AND NOT is_bot THEN visitor_id END) AS visitors
FROM {{events}}
WHERE concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
GROUP BY year, month, day
