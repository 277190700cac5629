/** Realistic reading streams (the agent's simulator) and a producer that puts them on a Kafka topic. */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { resolveCity, type ResolvedCity } from '../../agent/cities.js';
import { buildReading } from '../../agent/reading.js';
import { WeatherSimulator } from '../../agent/simulator/simulator.js';
import type { CityConfig } from '../../core/config/index.js';
import type { Reading } from '../../core/reading.js';

export const TEST_CITIES: CityConfig[] = [
  { name: 'Takamatsu', country: 'JP', lat: 34.34, lon: 134.05, timezone: 32400 },
  { name: 'Reykjavik', country: 'IS', lat: 64.15, lon: -21.94, timezone: 0 },
  { name: 'Singapore', country: 'SG', lat: 1.29, lon: 103.85, timezone: 28800 },
  { name: 'Yakutsk', country: 'RU', lat: 62.03, lon: 129.73, timezone: 32400 },
  { name: 'Cairo', country: 'EG', lat: 30.04, lon: 31.24, timezone: 7200 },
  { name: 'Buenos Aires', country: 'AR', lat: -34.6, lon: -58.38, timezone: -10800 },
];

/** `perCity` readings per city, every `stepMinutes` of simulated time from `from`, interleaved by time. */
export function simulatedReadings(perCity: number, options: { from?: Date; stepMinutes?: number; cities?: CityConfig[]; seed?: number } = {}): Reading[] {
  const from = options.from ?? new Date('2026-01-01T00:00:00Z');
  const step = (options.stepMinutes ?? 60) * 60_000;
  const cities: ResolvedCity[] = (options.cities ?? TEST_CITIES).map(resolveCity);
  const sims = cities.map((city) => new WeatherSimulator(city, options.seed ?? 3));
  const out: Reading[] = [];
  for (let i = 0; i < perCity; i++) {
    const at = new Date(from.getTime() + i * step);
    cities.forEach((city, c) => {
      out.push(buildReading({ deviceId: `sim-${city.slug}`, city, source: 'simulated' }, i, at, sims[c]!.at(at)));
    });
  }
  return out;
}

export async function produceReadings(brokers: string[], topic: string, readings: readonly (Reading | { key: string; value: Buffer })[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'test-producer', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < readings.length; i += 1000) {
      await producer.send({
        topic,
        acks: -1,
        messages: readings.slice(i, i + 1000).map((r) => ('key' in r ? r : { key: r.city.slug, value: JSON.stringify(r) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
