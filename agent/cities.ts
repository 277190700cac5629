/**
 * Cities the agent reports for, and the default set simulated by `kots up` and
 * `kots simulate`. The defaults are the original project's Shikoku and Tokyo
 * cities plus very different climates, so a month of simulated data holds
 * every kind of weather: frost (Yakutsk, Reykjavik), heat (Cairo), tropical
 * storms (Singapore), southern-hemisphere seasons (Buenos Aires).
 */
import type { CityConfig } from '../core/config/agent.js';
import { slugify } from '../core/topics.js';

export const DEFAULT_CITIES: CityConfig[] = [
  { name: 'Takamatsu', country: 'JP', lat: 34.3428, lon: 134.0466, timezone: 9 * 3600 },
  { name: 'Nakano', slug: 'nakano-tokyo', country: 'JP', lat: 35.7074, lon: 139.6638, timezone: 9 * 3600 },
  { name: 'Kochi', country: 'JP', lat: 33.5597, lon: 133.5311, timezone: 9 * 3600 },
  { name: 'Reykjavik', country: 'IS', lat: 64.1466, lon: -21.9426, timezone: 0 },
  { name: 'Cairo', country: 'EG', lat: 30.0444, lon: 31.2357, timezone: 2 * 3600 },
  { name: 'Singapore', country: 'SG', lat: 1.3521, lon: 103.8198, timezone: 8 * 3600 },
  { name: 'Buenos Aires', country: 'AR', lat: -34.6037, lon: -58.3816, timezone: -3 * 3600 },
  { name: 'Yakutsk', country: 'RU', lat: 62.0355, lon: 129.6755, timezone: 9 * 3600 },
];

/** A city with its slug and UTC offset settled. */
export interface ResolvedCity {
  name: string;
  slug: string;
  country?: string;
  lat: number;
  lon: number;
  /** Offset of local time from UTC in seconds. */
  timezone: number;
}

export function resolveCity(city: CityConfig): ResolvedCity {
  return {
    name: city.name,
    slug: city.slug ?? slugify(city.name),
    ...(city.country ? { country: city.country } : {}),
    lat: city.lat,
    lon: city.lon,
    // Solar time is a fair guess of the civil offset when none is configured.
    timezone: city.timezone ?? Math.round(city.lon / 15) * 3600,
  };
}
