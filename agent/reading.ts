/**
 * Turns a source's weather object into a v1 reading and checks it against the
 * contract before it is spooled: a reading the bridge would refuse must fail
 * here, on the device, where the cause is known.
 */
import { v7 as uuidv7 } from 'uuid';
import { KotsError } from '../core/errors.js';
import { READING_VERSION, readingSchema, type CurrentWeather, type Reading, type ReadingSource } from '../core/reading.js';
import type { ResolvedCity } from './cities.js';

export interface ReadingContext {
  deviceId: string;
  city: ResolvedCity;
  source: ReadingSource;
}

export function buildReading(context: ReadingContext, seq: number, observedAt: Date, weather: CurrentWeather): Reading {
  const candidate = {
    v: READING_VERSION,
    // UUIDv7 from the observation time: ids sort like readings, also for simulated pasts.
    id: uuidv7({ msecs: observedAt.getTime() }),
    device_id: context.deviceId,
    city: { slug: context.city.slug, name: context.city.name },
    source: context.source,
    seq,
    observed_at: observedAt.toISOString(),
    weather: { ...weather, name: weather.name ?? context.city.name, timezone: weather.timezone ?? context.city.timezone },
  };
  const result = readingSchema.safeParse(candidate);
  if (!result.success) {
    const reason = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new KotsError('READING_INVALID', `the ${context.source} source produced an invalid reading: ${reason}`);
  }
  return result.data;
}
