-- Which events fired, how often, and where. A reading carries at most one event (event_id 0: none).
SELECT event_id,
       event_name,
       count(*)                                                     AS firings,
       round(100.0 * count(*) / (SELECT count(*) FROM readings), 2) AS pct_of_readings,
       count(DISTINCT city)                                         AS cities,
       string_agg(DISTINCT city, ', ' ORDER BY city)                AS where_seen
FROM readings
WHERE event_id > 0
GROUP BY event_id, event_name
ORDER BY event_id;
