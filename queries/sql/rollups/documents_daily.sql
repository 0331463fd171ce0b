-- Rollup documents_daily: per UTC day and document, download requests, completed downloads, range parts and
-- visitors (humans only). Visitor ids rotate daily, so per-day distinct counts add up over days.
-- count_if is cast: DuckDB returns HUGEINT where Athena returns bigint, and the table declares bigint.
SELECT
  year, month, day,
  document_id,
  count(*) AS requests,
  CAST(count_if(download_complete) AS BIGINT) AS completed_downloads,
  CAST(count_if(status = 206) AS BIGINT) AS range_parts,
  count(DISTINCT visitor_id) AS visitors
FROM {{events}}
WHERE event_type = 'document_download'
  AND concat(year, '-', month, '-', day) BETWEEN {{from_day}} AND {{to_day}}
  AND NOT is_bot
  AND document_id IS NOT NULL
GROUP BY year, month, day, document_id
