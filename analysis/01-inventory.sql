-- What is in the data: how many readings, which cities, which days, which sources.
-- Run: kots sql "$(cat analysis/01-inventory.sql)"
SELECT city,
       any_value(name)                        AS name,
       count(*)                               AS readings,
       min(current_time_utc)                  AS first_utc,
       max(current_time_utc)                  AS last_utc,
       count(DISTINCT date)                   AS days,
       count(DISTINCT device_id)              AS devices,
       string_agg(DISTINCT source, ', ')      AS sources,
       any_value(timezone) / 3600             AS utc_offset_h
FROM readings
GROUP BY city
ORDER BY city;
