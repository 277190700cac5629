-- When (on the city's own clock) does the event fire? Compare with when readings exist at all.
-- hour(local_time) is the local hour; current_time_utc is UTC.
SET VARIABLE event_id = 2;

SELECT hour(local_time)                                                  AS local_hour,
       count(*) FILTER (WHERE event_id = getvariable('event_id'))         AS firings,
       count(*)                                                          AS readings,
       bar(count(*) FILTER (WHERE event_id = getvariable('event_id')), 0,
           max(count(*) FILTER (WHERE event_id = getvariable('event_id'))) OVER (), 30) AS firing_bar
FROM readings
GROUP BY local_hour
ORDER BY local_hour;
