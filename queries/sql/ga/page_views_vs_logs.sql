-- GA vs logs: page views per day and page from Google Analytics 4 next to the server logs' page views
-- (bots excluded), so a reader sees where the two disagree. Rows exist for every day GA reported; a page
-- only one side saw has 0 on the other. difference = log_page_views - ga_page_views.
-- GA days are in the GA property's time zone, log days in UTC: set the property to UTC to compare like with like.
-- A GA day imported by more than one flow run (dt) counts once: the latest run's numbers win.
WITH ga_rows AS (
  SELECT
    concat(substr(replace("date", '-', ''), 1, 4), '-', substr(replace("date", '-', ''), 5, 2), '-', substr(replace("date", '-', ''), 7, 2)) AS day,
    page_path,
    TRY_CAST(screen_page_views AS BIGINT) AS page_views,
    dt
  FROM {{ga}}
),
ga_days AS (
  SELECT day, max(dt) AS dt
  FROM ga_rows
  GROUP BY day
),
ga AS (
  SELECT r.day, r.page_path AS path, sum(r.page_views) AS ga_page_views
  FROM ga_rows r
  JOIN ga_days d ON r.day = d.day AND r.dt = d.dt
  WHERE r.page_path IS NOT NULL
  GROUP BY r.day, r.page_path
),
logs AS (
  SELECT concat(year, '-', month, '-', day) AS day, path, count(*) AS log_page_views
  FROM {{events}}
  WHERE event_type = 'page_view'
    AND NOT is_bot
    AND concat(year, '-', month, '-', day) IN (SELECT day FROM ga_days)
  GROUP BY concat(year, '-', month, '-', day), path
)
SELECT
  coalesce(ga.day, logs.day) AS day,
  coalesce(ga.path, logs.path) AS path,
  coalesce(ga.ga_page_views, 0) AS ga_page_views,
  coalesce(logs.log_page_views, 0) AS log_page_views,
  coalesce(logs.log_page_views, 0) - coalesce(ga.ga_page_views, 0) AS difference
FROM ga
FULL OUTER JOIN logs ON ga.day = logs.day AND ga.path = logs.path
