-- Profile of one event against everything else: in which weather does it fire, and how often
-- does that weather come with the event? Change the event here:
SET VARIABLE event_id = 2;

SELECT weather_main,
       count(*) FILTER (WHERE event_id = getvariable('event_id'))  AS firings,
       count(*)                                                    AS readings,
       round(100.0 * count(*) FILTER (WHERE event_id = getvariable('event_id')) / count(*), 2) AS pct_firing
FROM readings
GROUP BY weather_main
ORDER BY firings DESC, readings DESC;
