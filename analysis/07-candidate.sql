-- Test a candidate condition: inside it, what share of readings fire the event, and is that share
-- the same everywhere? Replace the condition in `candidate` (and the event id) with your own.
-- A share near 100% everywhere: you found it. A share that swings by city or hour: too broad.
-- A share that stays flat but well below 100%, whatever you slice by: think about chance.
-- `kots challenge check <event> --where "<condition>"` gives the same verdict in one line.
SET VARIABLE event_id = 2;

WITH candidate AS (
  SELECT *, (clouds_all < 20) AS holds      -- ← your condition (this first guess is only an example)
  FROM readings
)
SELECT city,
       count(*) FILTER (WHERE holds)                                                  AS inside,
       count(*) FILTER (WHERE holds AND event_id = getvariable('event_id'))            AS fired_inside,
       count(*) FILTER (WHERE holds AND event_id NOT IN (0, getvariable('event_id')))  AS other_event_inside,
       count(*) FILTER (WHERE NOT holds AND event_id = getvariable('event_id'))        AS fired_outside,
       round(100.0 * count(*) FILTER (WHERE holds AND event_id = getvariable('event_id'))
             / nullif(count(*) FILTER (WHERE holds AND event_id IN (0, getvariable('event_id'))), 0), 1) AS pct_fired_when_free
FROM candidate
GROUP BY city
ORDER BY inside DESC;
