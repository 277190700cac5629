-- Some events may depend on what happened before, not only on the reading itself. Among readings
-- in the same weather as the event's firings: how long since the city last had precipitation,
-- and how long had the city been reporting? Compare the rows that fired with those that did not.
SET VARIABLE event_id = 3;

WITH ordered AS (
  SELECT city, current_time_utc, weather_description, event_id,
         max(CASE WHEN coalesce(rain_1h, 0) + coalesce(snow_1h, 0) > 0 THEN current_time_utc END)
           OVER (PARTITION BY city ORDER BY current_time_utc ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_precipitation,
         min(current_time_utc) OVER (PARTITION BY city) AS city_first
  FROM readings
)
SELECT weather_description,
       event_id = getvariable('event_id')                                                       AS fired,
       count(*)                                                                                 AS readings,
       round(min(date_diff('minute', previous_precipitation, current_time_utc)) / 60.0, 1)      AS min_h_since_precip,
       round(median(date_diff('minute', previous_precipitation, current_time_utc)) / 60.0, 1)   AS median_h_since_precip,
       count(*) FILTER (WHERE previous_precipitation IS NULL)                                   AS never_precip_before,
       round(min(date_diff('minute', city_first, current_time_utc)) / 60.0, 1)                  AS min_h_reporting
FROM ordered
WHERE weather_description IN (SELECT DISTINCT weather_description FROM readings WHERE event_id = getvariable('event_id'))
GROUP BY ALL
ORDER BY weather_description, fired;
