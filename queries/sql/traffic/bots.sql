-- Traffic: share of requests that look automated, per day, over every event type.
SELECT
  day,
  sum(requests) AS requests,
  sum(bot_requests) AS bot_requests,
  round(CAST(sum(bot_requests) AS DOUBLE) / sum(requests), 4) AS bot_share
FROM {{rollup:traffic_daily}}
GROUP BY 1
ORDER BY 1
