/**
 * `kots simulate` compacts the days every city has left behind while the simulation still runs;
 * a reading that arrives later for such a day is merged by the final pass, never lost or doubled.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedDaysConsolidation } from '../../../cli/simulate/consolidation.js';
import { CONSOLIDATED_WEATHER_PREFIX, LocalLake } from '../../../core/lake/index.js';
import { openLakeDatabase } from '../../../lakehouse/database.js';
import { testConfig } from '../../helpers/servers.js';
import { distinctReadings, simulatedRows, writeRawLake } from '../../lakehouse/fixtures.js';

describe('consolidation of the simulated days during the simulation', () => {
  it('takes only days settled for every city early, and the final pass merges a late reading exactly once', async () => {
    const path = mkdtempSync(join(tmpdir(), 'kots-sim-consolidation-'));
    const lake = new LocalLake(path);
    const config = testConfig({ KOTS_LAKE_PATH: path });
    // Six days of the eight cities, the last reading of day 1 held back as a late arrival.
    const rows = simulatedRows({ from: new Date('2026-01-01T00:00:00Z'), hours: 6 * 24, intervalMinutes: 60 });
    const firstDay = rows[0]!.map((r) => new Date(r.reading.observed_at).toISOString().startsWith('2026-01-01'));
    const lateIndex = firstDay.lastIndexOf(true);
    const late = rows[0]!.splice(lateIndex, 1);
    await writeRawLake(lake, rows, { batchSize: 50 });

    const consolidation = new SimulatedDaysConsolidation(config, lake, '2026-01-01', '2026-01-06', 8);
    consolidation.poke();
    await consolidation.finishEarlyPass();
    // Latest day 2026-01-06, three days to settle: 01-01 … 01-03 compacted, nothing later.
    const days = new Set((await lake.list(CONSOLIDATED_WEATHER_PREFIX)).map((k) => /date=([\d-]+)/.exec(k)![1]));
    expect([...days].sort()).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);

    await writeRawLake(lake, [late], { batchSize: 50 });
    const summary = await consolidation.finish();
    const total = distinctReadings(rows) + 1;
    expect(summary).toEqual({ readings: total, cityDays: 48 });
    const db = await openLakeDatabase(config, lake);
    try {
      const [count, ids] = (await db.connection.runAndReadAll('SELECT count(*), count(DISTINCT id) FROM consolidated_readings')).getRows()[0]!.map(Number);
      expect([count, ids]).toEqual([total, total]);
    } finally {
      db.close();
    }
  });
});
