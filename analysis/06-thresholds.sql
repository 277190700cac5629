-- Where are the edges? The range of each measurement among firings, next to its range in all readings.
-- A sharp edge shared by every firing (and crossed often by non-firings) is a threshold worth testing.
SET VARIABLE event_id = 7;

WITH s AS MATERIALIZED (
  SELECT min(main_temp)     FILTER (WHERE event_id = getvariable('event_id')) AS temp_fired_min,
         max(main_temp)     FILTER (WHERE event_id = getvariable('event_id')) AS temp_fired_max,
         min(main_temp) AS temp_all_min, max(main_temp) AS temp_all_max,
         min(wind_speed)    FILTER (WHERE event_id = getvariable('event_id')) AS wind_fired_min,
         max(wind_speed)    FILTER (WHERE event_id = getvariable('event_id')) AS wind_fired_max,
         min(wind_speed) AS wind_all_min, max(wind_speed) AS wind_all_max,
         min(main_humidity) FILTER (WHERE event_id = getvariable('event_id')) AS hum_fired_min,
         max(main_humidity) FILTER (WHERE event_id = getvariable('event_id')) AS hum_fired_max,
         min(main_humidity) AS hum_all_min, max(main_humidity) AS hum_all_max,
         min(clouds_all)    FILTER (WHERE event_id = getvariable('event_id')) AS clouds_fired_min,
         max(clouds_all)    FILTER (WHERE event_id = getvariable('event_id')) AS clouds_fired_max,
         min(clouds_all) AS clouds_all_min, max(clouds_all) AS clouds_all_max,
         min(visibility)    FILTER (WHERE event_id = getvariable('event_id')) AS vis_fired_min,
         max(visibility)    FILTER (WHERE event_id = getvariable('event_id')) AS vis_fired_max,
         min(visibility) AS vis_all_min, max(visibility) AS vis_all_max
  FROM readings
)
SELECT 'main_temp (K)' AS measure, temp_fired_min AS fired_min, temp_fired_max AS fired_max, temp_all_min AS all_min, temp_all_max AS all_max FROM s
UNION ALL SELECT 'wind_speed (m/s)', wind_fired_min, wind_fired_max, wind_all_min, wind_all_max FROM s
UNION ALL SELECT 'main_humidity (%)', hum_fired_min, hum_fired_max, hum_all_min, hum_all_max FROM s
UNION ALL SELECT 'clouds_all (%)', clouds_fired_min, clouds_fired_max, clouds_all_min, clouds_all_max FROM s
UNION ALL SELECT 'visibility (m)', vis_fired_min, vis_fired_max, vis_all_min, vis_all_max FROM s;
