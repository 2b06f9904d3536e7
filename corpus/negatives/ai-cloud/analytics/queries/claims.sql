-- Monthly claim volume per region (joins are aliased t1..t3 by the BI tool)
SELECT t1.region_code,
       t2.month_start,
       COUNT(t3.claim_id) AS claims,
       SUM(t3.amount_eur) AS paid
FROM regions t1
JOIN calendar t2 ON t2.region_code = t1.region_code
LEFT JOIN claims t3 ON t3.region_code = t1.region_code AND t3.created_month = t2.month_start
WHERE t1.active AND t2.month_start >= DATE '2024-01-01'
GROUP BY t1.region_code, t2.month_start
ORDER BY t1.region_code, t2.month_start;
