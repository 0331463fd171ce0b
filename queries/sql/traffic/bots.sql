-- Traffic: share of requests that look automated, per day, over every event type.
SELECT
  concat(year, '-', month, '-', day) AS day,
  count(*) AS requests,
  count_if(is_bot) AS bot_requests,
  round(CAST(count_if(is_bot) AS DOUBLE) / count(*), 4) AS bot_share
FROM {{events}}
WHERE concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
GROUP BY 1
ORDER BY 1
