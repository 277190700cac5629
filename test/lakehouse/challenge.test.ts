/**
 * `kots challenge check`: the true conditions of the event rules (from
 * consumer/events, written here as SQL) cover every firing; wrong ones do
 * not; and the verdict hints at gates and competing events without saying
 * the rule. Data: 20 simulated January days of the default cities, labelled
 * by the real rules, in a local lake.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLake } from '../../core/lake/index.js';
import { scoreHypothesis } from '../../lakehouse/challenge.js';
import { openLakeDatabase, type LakeDatabase } from '../../lakehouse/database.js';
import { testConfig } from '../helpers/servers.js';
import { simulatedRows, writeRawLake } from './fixtures.js';

/** consumer/events/README.md, as SQL over the lake columns. */
const TRUE_CONDITIONS: Record<number, string> = {
  1: 'main_temp < 273.15',
  2: "weather_main = 'Clear' AND hour(local_time) >= 20 AND hour(local_time) < 22",
  3: "weather_main = 'Rain' AND weather_description = 'heavy intensity rain'",
  4: "weather_main = 'Fog' AND hour(local_time) >= 6 AND hour(local_time) < 9",
  5: "weather_main = 'Thunderstorm'",
  6: 'wind_speed > 6',
  7: 'main_temp > 293.15 AND main_temp < 298.15 AND wind_speed < 3.5',
  8: 'wind_speed > 8',
  9: "weather_main = 'Clear' AND main_temp > 303.15",
  10: "weather_main = 'Snow'",
};

let db: LakeDatabase;

beforeAll(async () => {
  const path = mkdtempSync(join(tmpdir(), 'kots-challenge-'));
  const lake = new LocalLake(path);
  await writeRawLake(lake, simulatedRows({ from: new Date('2026-01-05T00:00:00Z'), hours: 20 * 24, intervalMinutes: 20 }), { batchSize: 2000 });
  db = await openLakeDatabase(testConfig({ KOTS_LAKE_PATH: path }), lake);
});
afterAll(() => db?.close());

describe('kots challenge check', () => {
  it('refuses conditions on the answer columns or with a query inside, in one line', async () => {
    for (const condition of ['event_id = 2', "event_name LIKE '%Moons%'", 'id IN (SELECT id FROM events)', "EVENT_DESCRIPTION <> ''"]) {
      await expect(scoreHypothesis(db.connection, 'two moons', condition)).rejects.toThrow(/^refused: [^\n]+$/);
    }
    await expect(scoreHypothesis(db.connection, '2', 'id IN (SELECT id FROM readings WHERE wind_speed > 1)')).rejects.toThrow(
      /refused: the condition uses "SELECT"/,
    );
  });

  it('lists the candidates of an ambiguous name, and names every event for an unknown one', async () => {
    await expect(scoreHypothesis(db.connection, 'the', 'wind_speed > 6')).rejects.toThrow(
      /"the" fits 10 events: 1 The Cat Whisperer, .*10 The Talking Crow; give its id/,
    );
    expect((await scoreHypothesis(db.connection, 'wind', 'wind_speed > 8')).event.name).toBe('The Music of the Wind');
    await expect(scoreHypothesis(db.connection, 'unicorn', 'wind_speed > 6')).rejects.toThrow(/no event is called "unicorn"; the events: 1 The Cat Whisperer/);
  });

  it('says how many more days to simulate when an event never fired in the data', async () => {
    // One July day: no snow anywhere among the default cities.
    const path = mkdtempSync(join(tmpdir(), 'kots-challenge-july-'));
    const lake = new LocalLake(path);
    await writeRawLake(lake, simulatedRows({ from: new Date('2026-07-01T00:00:00Z'), hours: 24, intervalMinutes: 30 }), { batchSize: 2000 });
    const july = await openLakeDatabase(testConfig({ KOTS_LAKE_PATH: path }), lake);
    try {
      await expect(scoreHypothesis(july.connection, 'talking crow', "weather_main = 'Snow'")).rejects.toThrow(
        /^The Talking Crow has not fired in the 1 day\(s\) of data in the lake: simulate about 29 more day\(s\)/,
      );
    } finally {
      july.close();
    }
  });

  it('gives every true condition full recall, for each event that fired', async () => {
    const fired = (await db.connection.runAndReadAll('SELECT DISTINCT event_id FROM readings WHERE event_id > 0 ORDER BY 1'))
      .getRows()
      .map((r) => Number(r[0]));
    expect(fired.length).toBeGreaterThanOrEqual(7);
    for (const id of fired) {
      const score = await scoreHypothesis(db.connection, String(id), TRUE_CONDITIONS[id]!);
      expect(score.recall, `${score.event.name}: ${score.verdict}`).toBe(1);
      expect(score.verdict).toMatch(/covers all \d+ firings/);
      expect(score.verdict).not.toMatch(/misses/);
    }
  });

  it('scores the seed hypothesis "clear weather between 8 PM and 10 PM" of the Two Moons at full recall, and a shifted window below it', async () => {
    const right = await scoreHypothesis(db.connection, 'two moons', "weather_main = 'Clear' AND hour(local_time) BETWEEN 20 AND 21");
    expect(right.event.id).toBe(2);
    expect(right.recall).toBe(1);
    expect(right.precision).toBeGreaterThan(0.9);
    const shifted = await scoreHypothesis(db.connection, 'The Two Moons Appearance', "weather_main = 'Clear' AND hour(local_time) BETWEEN 21 AND 22");
    expect(shifted.recall).toBeLessThan(0.75);
    expect(shifted.verdict).toMatch(/misses \d+ of the \d+ firings/);
    const anyWeather = await scoreHypothesis(db.connection, '2', 'hour(local_time) BETWEEN 20 AND 21');
    expect(anyWeather.recall).toBe(1);
    expect(anyWeather.precision).toBeLessThan(0.6);
    expect(anyWeather.verdict).toMatch(/too broad/);
  });

  it('points at a gate when the right weather fires only some of the time, without naming the rule', async () => {
    const score = await scoreHypothesis(db.connection, 'talking crow', TRUE_CONDITIONS[10]!);
    expect(score.recall).toBe(1);
    expect(score.precision).toBeLessThan(0.5);
    expect(score.verdict).toMatch(/gate/);
    // Nothing of the rule (its probability or threshold) appears in what the analyst reads.
    expect(score.verdict).not.toMatch(/Snow|\b0\.30?\b(?!%)|(?<![\d.])30%/);
    const wrong = await scoreHypothesis(db.connection, 'talking crow', 'main_temp < 268');
    expect(wrong.recall).toBeLessThan(1);
  });

  it('refuses a second statement and explains an invalid condition', async () => {
    await expect(scoreHypothesis(db.connection, '2', 'true; DROP VIEW readings')).rejects.toThrow(/without ";"/);
    await expect(scoreHypothesis(db.connection, '2', 'no_such_column > 1')).rejects.toThrow(/not valid SQL over the readings columns/);
    await expect(scoreHypothesis(db.connection, 'the unicorn', 'true')).rejects.toThrow(/no event is called "the unicorn"; the events: 1 The Cat Whisperer/);
  });
});
