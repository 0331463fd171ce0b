-- QR scans: how many scans led to a completed document download by the same visitor within 30 minutes.
-- Visitor ids rotate daily, so a scan and a download on two UTC days are never linked: the rollup counts per day.
SELECT
  qr_code,
  sum(scans) AS scans,
  sum(converted_scans) AS converted_scans,
  round(CAST(sum(converted_scans) AS DOUBLE) / sum(scans), 4) AS conversion_rate
FROM {{rollup:qr_daily}}
GROUP BY 1
ORDER BY 1
