-- Two events whose weather overlaps: when both could fire, which one does? Look at the readings
-- where two candidate conditions hold at once (edit both) and count the events they got.
WITH both_hold AS (
  SELECT * FROM readings
  WHERE clouds_all < 20                -- ← what you found for one event (examples only)
    AND hour(local_time) >= 18         -- ← what you found for another
)
SELECT event_id, event_name, count(*) AS readings
FROM both_hold
GROUP BY ALL
ORDER BY readings DESC;
