-- Some events may depend on what happened before, not only on the reading itself. Among readings
-- in the same weather as the event's firings: how long since the city last had precipitation,
-- and how long had the city been reporting? Compare the rows that fired with those that did not.
SET VARIABLE event_id = 3;

-- Only the readings in question look back (an ASOF join to the city's last precipitation before
-- them), rather than a window over every reading of every city: it stays fast on a large lake.
WITH candidates AS (
  SELECT city, current_time_utc, weather_description, event_id
  FROM readings
  WHERE weather_description IN (SELECT DISTINCT weather_description FROM readings WHERE event_id = getvariable('event_id'))
),
precipitation AS (
  SELECT city, current_time_utc AS at
  FROM readings
  WHERE coalesce(rain_1h, 0) + coalesce(snow_1h, 0) > 0 AND city IN (SELECT city FROM candidates)
),
ordered AS (
  SELECT c.*, p.at AS previous_precipitation, f.city_first
  FROM candidates c
  ASOF LEFT JOIN precipitation p ON c.city = p.city AND c.current_time_utc > p.at
  JOIN (SELECT city, min(current_time_utc) AS city_first FROM readings GROUP BY city) f ON f.city = c.city
)
SELECT weather_description,
       event_id = getvariable('event_id')                                                       AS fired,
       count(*)                                                                                 AS readings,
       round(min(date_diff('minute', previous_precipitation, current_time_utc)) / 60.0, 1)      AS min_h_since_precip,
       round(median(date_diff('minute', previous_precipitation, current_time_utc)) / 60.0, 1)   AS median_h_since_precip,
       count(*) FILTER (WHERE previous_precipitation IS NULL)                                   AS never_precip_before,
       round(min(date_diff('minute', city_first, current_time_utc)) / 60.0, 1)                  AS min_h_reporting
FROM ordered
GROUP BY ALL
ORDER BY weather_description, fired;
