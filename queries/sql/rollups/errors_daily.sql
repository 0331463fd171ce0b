-- Rollup errors_daily: per UTC arrival day, error output type and code, the error records Firehose wrote under
-- errors/ (JSON, read whole by any query), with their first and last arrival: min and max merge across days, so
-- the health metric re-aggregates closed days exactly. The code keeps its raw null; the metric labels it.
SELECT
  year, month, day,
  error_type,
  error_code,
  count(*) AS records,
  min(arrival_timestamp) AS first_arrival_timestamp,
  max(arrival_timestamp) AS last_arrival_timestamp
FROM {{errors}}
WHERE concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
GROUP BY year, month, day, error_type, error_code
