-- Traffic: page views per referring site; '(direct)' when there was no referrer (humans only).
SELECT
  coalesce(referrer_host, '(direct)') AS referrer_host,
  count(*) AS page_views
FROM {{events}}
WHERE event_type = 'page_view'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 100
