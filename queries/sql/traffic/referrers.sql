-- Traffic: page views per referring site; '(direct)' when there was no referrer (humans only).
SELECT
  coalesce(referrer_host, '(direct)') AS referrer_host,
  sum(page_views) AS page_views
FROM {{rollup:traffic_referrers}}
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 100
