/**
 * Where a reading comes from. Its own module, so that the config schema (loaded by every
 * command) does not pull in the reading validators (ajv, compiled at load) with it.
 */
export const SOURCES = ['openweather', 'sensors', 'simulated'] as const;
export type ReadingSource = (typeof SOURCES)[number];
