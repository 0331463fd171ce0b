-- Pipeline health: records Firehose could not process or convert, per error type, code and arrival day, from the
-- errors_daily rollup (closed days) and today's error records. The records themselves (errors table, raw_data holds
-- each record's original bytes in base64) stay the place to inspect and replay them.
SELECT
  day,
  error_type,
  coalesce(error_code, '(none)') AS error_code,
  sum(records) AS records,
  from_unixtime(min(first_arrival_timestamp) / 1000e0) AS first_arrival,
  from_unixtime(max(last_arrival_timestamp) / 1000e0) AS last_arrival
FROM {{rollup:errors_daily}}
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
