-- Where are the edges? The range of each measurement among firings, next to its range in all readings.
-- A sharp edge shared by every firing (and crossed often by non-firings) is a threshold worth testing.
SET VARIABLE event_id = 7;

WITH fired AS (SELECT * FROM readings WHERE event_id = getvariable('event_id'))
SELECT 'main_temp (K)' AS measure, (SELECT min(main_temp) FROM fired) AS fired_min, (SELECT max(main_temp) FROM fired) AS fired_max,
       min(main_temp) AS all_min, max(main_temp) AS all_max FROM readings
UNION ALL
SELECT 'wind_speed (m/s)', (SELECT min(wind_speed) FROM fired), (SELECT max(wind_speed) FROM fired), min(wind_speed), max(wind_speed) FROM readings
UNION ALL
SELECT 'main_humidity (%)', (SELECT min(main_humidity) FROM fired), (SELECT max(main_humidity) FROM fired), min(main_humidity), max(main_humidity) FROM readings
UNION ALL
SELECT 'clouds_all (%)', (SELECT min(clouds_all) FROM fired), (SELECT max(clouds_all) FROM fired), min(clouds_all), max(clouds_all) FROM readings
UNION ALL
SELECT 'visibility (m)', (SELECT min(visibility) FROM fired), (SELECT max(visibility) FROM fired), min(visibility), max(visibility) FROM readings;
