-- The weather each city had: conditions, temperature (Kelvin and °C) and wind.
-- Units matter later: temperatures are Kelvin, wind is m/s, local_time is the city's own clock.
SELECT city,
       weather_main,
       count(*)                                           AS readings,
       round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY city), 1) AS pct_of_city,
       round(min(main_temp) - 273.15, 1)                  AS min_c,
       round(avg(main_temp) - 273.15, 1)                  AS avg_c,
       round(max(main_temp) - 273.15, 1)                  AS max_c,
       round(max(wind_speed), 1)                          AS max_wind_ms
FROM readings
GROUP BY city, weather_main
ORDER BY city, readings DESC;
