/** Builds valid v1 readings for tests (the agent builds real ones; tests need exact control). */
import { v7 as uuidv7 } from 'uuid';
import type { ReadingInput } from '../../core/reading.js';

export function makeReading(overrides: Partial<ReadingInput> & { seq?: number } = {}): ReadingInput {
  const city = overrides.city ?? { slug: 'takamatsu', name: 'Takamatsu' };
  return {
    v: 1,
    id: uuidv7(),
    device_id: 'dev-1',
    source: 'simulated',
    seq: 0,
    observed_at: '2026-11-25T11:00:00.000Z',
    ...overrides,
    city,
    weather: overrides.weather ?? {
      coord: { lon: 134.05, lat: 34.34 },
      weather: [{ id: 800, main: 'Clear', description: 'clear sky', icon: '01n' }],
      main: { temp: 285.1, feels_like: 284.2, pressure: 1016, humidity: 71 },
      visibility: 10000,
      wind: { speed: 2.1, deg: 40 },
      clouds: { all: 0 },
      dt: 1795604400,
      sys: { country: 'JP' },
      timezone: 32400,
      name: city.name,
    },
  };
}
