/**
 * The dashboard's history over a real local lake and DuckDB: series, events
 * and heat-map come from the summary, and readings written after the first
 * question show up once the summary is older than the refresh period.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../consumer/in-process-bus.js';
import { loadConfig } from '../../core/config/index.js';
import { openLake } from '../../core/lake/index.js';
import { silentLogger } from '../../core/log.js';
import { LakeHistory } from '../../dashboard/history.js';
import { openLakeDatabase } from '../../lakehouse/database.js';
import { makeReading } from '../helpers/readings.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('dashboard history from the lake', () => {
  it('answers series, event markers and the heat-map, and sees new files after the refresh period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kots-dashboard-history-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = loadConfig({ env: {}, overrides: { 'lake.path': join(dir, 'lake'), 'consumer.batchMaxAgeMs': 50, 'log.level': 'silent' } });
    const bus = await InProcessBus.open({ lake: openLake(config.lake), config, logger: silentLogger });
    cleanups.push(() => bus.close());
    const now = Date.now();
    // Kochi, one reading a minute for 30 minutes, 10 °C; one of them freezing (The Cat Whisperer may fire).
    const send = async (minutesAgo: number[], tempK: number) => {
      const records = minutesAgo.map((m) => {
        const reading = makeReading({ device_id: 'dev-1', city: { slug: 'kochi', name: 'Kochi' }, observed_at: new Date(now - m * 60_000).toISOString() });
        reading.weather.main.temp = tempK;
        return { key: 'kochi', value: Buffer.from(JSON.stringify(reading)), headers: {} };
      });
      await bus.sendReadings(records);
    };
    await send(
      Array.from({ length: 30 }, (_, i) => 30 - i),
      283.15,
    );

    let clock = now;
    const history = new LakeHistory(
      () => openLakeDatabase(config),
      5_000,
      () => clock,
    );
    cleanups.push(() => history.close());
    const first = await history.series('kochi', '1h');
    expect(first.bucketSeconds).toBe(60);
    expect(first.t.length).toBe(30);
    expect(new Set(first.tempC)).toEqual(new Set([10]));
    expect(first.windMs[0]).toBe(2.1);
    expect((await history.series('kochi', '1h')).t.length).toBe(30);

    // Freezing readings written now: not seen until the summary is older than 5 s.
    await send(
      Array.from({ length: 40 }, () => 0),
      250,
    );
    expect((await history.series('kochi', '1h')).t.length).toBe(30);
    clock += 6_000;
    const later = await history.series('kochi', '1h');
    expect(later.t.length).toBe(31);
    expect(later.tempC.at(-1)).toBeCloseTo(-23.15, 1);
    const heat = await history.heatmap('24h');
    const cats = heat.counts[0]![heat.events.indexOf('The Cat Whisperer')]!;
    expect(heat.cities).toEqual([{ slug: 'kochi', name: 'Kochi' }]);
    expect(cats).toBe(later.events.length);
    expect(cats, '40 freezing readings with a 30 % gate fire at least once').toBeGreaterThan(0);
    const seed = await history.seed();
    expect(seed.cities[0]!.current.tempC).toBeCloseTo(-23.1, 0);
    expect(seed.events.length).toBe(cats);
    expect(seed.cities[0]!.perMinute.reduce((sum, [, n]) => sum + n, 0)).toBe(70);
  });

  it('ends periods at the newest reading when the lake stops in the past (a simulation of two months ago)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kots-dashboard-past-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = loadConfig({ env: {}, overrides: { 'lake.path': join(dir, 'lake'), 'consumer.batchMaxAgeMs': 50, 'log.level': 'silent' } });
    const bus = await InProcessBus.open({ lake: openLake(config.lake), config, logger: silentLogger });
    cleanups.push(() => bus.close());
    // Sixty days ago: two hours of Cairo readings, one every 10 minutes, at 30 °C.
    const end = Date.now() - 60 * 86_400_000;
    const records = Array.from({ length: 12 }, (_, i) => {
      const reading = makeReading({
        device_id: 'dev-past',
        city: { slug: 'cairo', name: 'Cairo' },
        observed_at: new Date(end - (11 - i) * 600_000).toISOString(),
      });
      reading.weather.main.temp = 303.15;
      return { key: 'cairo', value: Buffer.from(JSON.stringify(reading)), headers: {} };
    });
    await bus.sendReadings(records);

    const history = new LakeHistory(() => openLakeDatabase(config), 5_000);
    cleanups.push(() => history.close());
    const day = await history.series('cairo', '24h');
    expect(day.t.length, 'the last 24 h of data, not the last 24 h of the clock').toBeGreaterThan(0);
    expect(new Set(day.tempC)).toEqual(new Set([30]));
    expect(Math.max(...day.t)).toBeGreaterThan(end / 1000 - 3_600);
    // One hour back from the newest reading: only the last hour's readings.
    const hour = await history.series('cairo', '1h');
    expect(hour.t.length).toBeGreaterThanOrEqual(5);
    expect(hour.t.length).toBeLessThanOrEqual(7);
  });
});
