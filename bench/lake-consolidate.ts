/**
 * Consolidation throughput and investigation-query times over a lake of N
 * synthetic readings (default 10 million): 8 cities × 30 days of raw Parquet
 * written by DuckDB itself in the consumer's layout (4 raw files per city-day,
 * plus 5% of the rows written a second time, as a crashed consumer would).
 *
 *   npx tsx bench/lake-consolidate.ts [--readings 10000000] [--keep DIR] [--raw-queries]
 *   npx tsx bench/lake-consolidate.ts --reuse DIR     # the raw lake a --keep run left (its consolidated/ is removed first)
 *   npx tsx bench/lake-consolidate.ts --readings 10000000 --no-reference   # query times only, at scale
 *
 * Prints: generation time; the reference, one DuckDB `COPY (… QUALIFY
 * row_number() … = 1 ORDER BY …) TO … (PARTITION_BY (date, city))` pass over
 * the same raw lake with the same threads, run before and after kots; kots
 * consolidation rows/s (raw rows read, readings written) and its ratio to the
 * reference; the time of each analysis/*.sql query over the consolidated lake
 * (and, with --raw-queries, over the raw lake de-duplicated on the fly).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../core/config/index.js';
import { LocalLake, WEATHER_COLUMNS } from '../core/lake/index.js';
import { consolidateDays } from '../lakehouse/consolidate.js';
import { openLakeDatabase } from '../lakehouse/database.js';
import { duckdbOptions, openDuck } from '../lakehouse/duckdb.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const READINGS = Number(option('readings', '10000000'));
const DAYS = 30;
const CITIES = [
  ['takamatsu', 'Takamatsu', 32400],
  ['nakano-tokyo', 'Nakano', 32400],
  ['kochi', 'Kochi', 32400],
  ['reykjavik', 'Reykjavik', 0],
  ['cairo', 'Cairo', 7200],
  ['singapore', 'Singapore', 28800],
  ['buenos-aires', 'Buenos Aires', -10800],
  ['yakutsk', 'Yakutsk', 32400],
] as const;
const FILES_PER_DAY = 4;
const DUPLICATE_SHARE = 0.05;
const START = '2026-01-01';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perSecond = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')}/s`;

/** CPU time of this process (every DuckDB thread included), ms: what the work costs, whatever else loads the machine. */
let lastCpuMs = 0;
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function time<T>(what: () => Promise<T>): Promise<[T, number]> {
  const cpuStarted = cpuNow();
  try {
    return await wallTime(what);
  } finally {
    lastCpuMs = cpuNow() - cpuStarted;
  }
}

async function wallTime<T>(what: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await what();
  return [value, performance.now() - started];
}

/** Raw Parquet in the consumer's layout, written by DuckDB: no per-row JavaScript. */
async function generate(root: string): Promise<{ rawRows: number; files: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const perCity = Math.floor(READINGS / CITIES.length);
  const step = (DAYS * 86400) / perCity;
  const cities = CITIES.map(([slug, name, tz], i) => `(${i}, '${slug}', '${name}', ${tz})`).join(', ');
  const mains = `['Clear','Clouds','Rain','Drizzle','Thunderstorm','Snow','Fog','Mist']`;
  // Cheap, deterministic "weather" from hashes: enough variety for every query to have work to do.
  await c.run(`
    CREATE TABLE readings_src AS
    WITH cities(ci, slug, name, tz) AS (VALUES ${cities}),
    base AS (
      SELECT ci, slug, name, tz, n,
             TIMESTAMP '${START}' + to_microseconds((n * ${step} * 1000000)::BIGINT) AS ts,
             hash(ci, n) AS h
      FROM cities, range(${perCity}) r(n)
    ),
    w AS (
      SELECT *, ${mains}[1 + (h % 8)::INTEGER] AS main,
             round(250 + (h >> 8) % 6000 / 100.0, 2) AS temp,
             round(((h >> 24) % 1400) / 100.0, 2) AS wind
      FROM base
    )
    SELECT md5(slug || n)::VARCHAR AS id, 'bench-' || slug AS device_id, 'simulated' AS source, n::BIGINT AS seq,
           slug AS city_slug, name, 'XX' AS country, 0.0::DOUBLE AS lat, 0.0::DOUBLE AS lon,
           ts AS current_time_utc, ts + to_seconds(tz) AS local_time, tz::INTEGER AS timezone,
           800::INTEGER AS weather_id, main AS weather_main, lower(main) AS weather_description, '01d' AS weather_icon,
           temp AS main_temp, temp AS main_feels_like, temp - 1 AS main_temp_min, temp + 1 AS main_temp_max,
           1013.0 AS main_pressure, ((h >> 40) % 100)::DOUBLE AS main_humidity, 10000.0 AS visibility,
           wind AS wind_speed, ((h >> 32) % 360)::DOUBLE AS wind_deg, wind * 1.4 AS wind_gust, ((h >> 48) % 101)::DOUBLE AS clouds_all,
           CASE WHEN main IN ('Rain','Drizzle','Thunderstorm') THEN 1.0 END AS rain_1h, CASE WHEN main = 'Snow' THEN 1.0 END AS snow_1h,
           (CASE WHEN temp < 273.15 AND (h >> 4) % 10 < 3 THEN 1
                 WHEN main = 'Clear' AND hour(ts + to_seconds(tz)) IN (20, 21) THEN 2
                 WHEN main = 'Thunderstorm' AND (h >> 6) % 10 < 4 THEN 5
                 WHEN wind > 8 AND (h >> 7) % 2 = 0 THEN 8
                 WHEN main = 'Snow' AND (h >> 9) % 10 < 3 THEN 10 ELSE 0 END)::SMALLINT AS event_id,
           'None' AS event_name, '' AS event_description, '' AS event_newsflash,
           'weather' AS kafka_topic, ci % 3 AS kafka_partition, (ci * ${perCity} + n)::BIGINT AS kafka_offset, ts AS kafka_timestamp,
           strftime(ts, '%Y-%m-%d') AS date, slug AS city, (n * ${FILES_PER_DAY * DAYS} // ${perCity}) % ${FILES_PER_DAY} AS file_no
    FROM w`);
  await c.run(
    `UPDATE readings_src SET event_name = CASE event_id WHEN 1 THEN 'The Cat Whisperer' WHEN 2 THEN 'The Two Moons Appearance' WHEN 5 THEN 'The Oedipus Prophecy' WHEN 8 THEN 'The Music of the Wind' WHEN 10 THEN 'The Talking Crow' ELSE 'None' END`,
  );
  // A crashed consumer writes some rows again in another file: 5% of the rows, in a fifth file per day.
  await c.run(`INSERT INTO readings_src SELECT * REPLACE (${FILES_PER_DAY} AS file_no) FROM readings_src WHERE hash(id) % 100 < ${DUPLICATE_SHARE * 100}`);
  const columns = WEATHER_COLUMNS.map(([name]) => name).join(', ');
  const staging = join(root, 'staging');
  await c.run(
    `COPY (SELECT ${columns}, date, city, file_no FROM readings_src) TO '${staging}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date, city, file_no))`,
  );
  const offsets = (
    await c.runAndReadAll(`SELECT date, city, file_no, min(kafka_partition), min(kafka_offset), max(kafka_offset) FROM readings_src GROUP BY ALL`)
  ).getRows();
  const rawRows = Number((await c.runAndReadAll('SELECT count(*) FROM readings_src')).getRows()[0]![0]);
  c.closeSync();
  instance.closeSync();
  let files = 0;
  for (const [date, city, fileNo, partition, first, last] of offsets) {
    const from = join(staging, `date=${date}`, `city=${city}`, `file_no=${fileNo}`);
    const dir = join(root, 'raw/weather', `date=${date}`, `city=${city}`);
    mkdirSync(dir, { recursive: true });
    for (const [i, f] of readdirSync(from).entries()) {
      renameSync(join(from, f), join(dir, `weather-${partition}-${first}-${Number(last) + i}.parquet`));
      files++;
    }
  }
  rmSync(staging, { recursive: true, force: true });
  return { rawRows, files };
}

async function timeQueries(root: string, label: string): Promise<void> {
  const config = loadConfig({ env: { KOTS_LAKE_PATH: root } });
  const dir = fileURLToPath(new URL('../analysis/', import.meta.url));
  const [db, openMs] = await time(() => openLakeDatabase(config));
  console.log(
    `  ${label}: views opened in ${seconds(openMs)} (${db.snapshot.settledParts.length} consolidated parts, ${db.snapshot.pendingRaw.length} raw files pending)`,
  );
  try {
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .sort()) {
      const sql = readFileSync(join(dir, file), 'utf8');
      const [rows, ms] = await time(async () => (await db.connection.runAndReadAll(sql)).currentRowCount);
      console.log(`    ${file.padEnd(22)} ${seconds(ms).padStart(8)}  CPU ${seconds(lastCpuMs).padStart(7)}  (${rows} rows)`);
    }
  } finally {
    db.close();
  }
}

/** The one-pass reference over the same raw files: read, keep the first copy of each id, sort, write a file per (date, city). */
async function reference(root: string, out: string): Promise<[number, number]> {
  const config = loadConfig({ env: { KOTS_LAKE_PATH: root } });
  const instance = await DuckDBInstance.create(':memory:', duckdbOptions(config));
  const c = await instance.connect();
  try {
    const [, ms] = await time(() =>
      c.run(`COPY (SELECT * FROM read_parquet('${root}/raw/weather/*/*/*.parquet', hive_partitioning = true, hive_types = {'date': DATE, 'city': VARCHAR})
                   QUALIFY row_number() OVER (PARTITION BY id ORDER BY kafka_offset) = 1
                   ORDER BY date, city, current_time_utc, id)
             TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date, city), OVERWRITE)`),
    );
    return [ms, lastCpuMs];
  } finally {
    c.closeSync();
    instance.closeSync();
    rmSync(out, { recursive: true, force: true });
  }
}

/** A raw lake left by --keep: its consolidated side removed, its raw rows counted. */
async function reuse(root: string): Promise<{ rawRows: number; files: number }> {
  rmSync(join(root, 'consolidated'), { recursive: true, force: true });
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const [[rows, files]] = (
    await c.runAndReadAll(`SELECT sum(num_rows), count(*) FROM parquet_file_metadata('${root}/raw/weather/*/*/*.parquet')`)
  ).getRows() as [[bigint, bigint]];
  c.closeSync();
  instance.closeSync();
  return { rawRows: Number(rows), files: Number(files) };
}

const reused = args.includes('--reuse');
const root = reused ? option('reuse', '') : args.includes('--keep') ? option('keep', '') : mkdtempSync(join(tmpdir(), 'kots-bench-lake-'));
mkdirSync(root, { recursive: true });
console.log(
  `kots lake bench: ${reused ? 'reused raw lake' : `${READINGS.toLocaleString('en-US')} readings`}, ${CITIES.length} cities × ${DAYS} days, ${cpus().length} cores, lake ${root}`,
);
try {
  const [{ rawRows, files }, genMs] = await time(() => (reused ? reuse(root) : generate(root)));
  console.log(
    `${reused ? 'found' : 'generated'} ${rawRows.toLocaleString('en-US')} raw rows (${(DUPLICATE_SHARE * 100).toFixed(0)}% written twice) in ${files} raw files: ${seconds(genMs)}`,
  );

  if (args.includes('--raw-queries')) await timeQueries(root, 'investigation queries over the RAW lake (de-duplicated on the fly)');

  const withReference = !args.includes('--no-reference');
  const [before, beforeCpu] = withReference ? await reference(root, join(root, 'reference')) : [0, 0];
  if (withReference)
    console.log(
      `reference (one DuckDB COPY … QUALIFY … PARTITION_BY (date, city), same threads), before kots: ${seconds(before)} (CPU ${seconds(beforeCpu)}), ${perSecond(rawRows, before)} raw rows read`,
    );

  const config = loadConfig({ env: { KOTS_LAKE_PATH: root } });
  const lake = new LocalLake(root);
  const duck = await openDuck(config);
  let readings = 0;
  let inputRows = 0;
  const [, consolidateMs] = await time(async () => {
    const dates = Array.from({ length: DAYS }, (_, d) => new Date(Date.parse(`${START}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10));
    for (const outcome of await consolidateDays({ lake, connection: duck.connection, instance: duck.instance, retentionHours: 1e9 }, dates)) {
      if (outcome.error) throw outcome.error;
      for (const result of outcome.results!) {
        readings += result.rows;
        inputRows += result.inputRows;
      }
    }
  });
  duck.close();
  const consolidateCpu = lastCpuMs;
  const [after, afterCpu] = withReference ? await reference(root, join(root, 'reference')) : [0, 0];
  if (withReference) console.log(`reference, after kots: ${seconds(after)} (CPU ${seconds(afterCpu)}), ${perSecond(rawRows, after)} raw rows read`);
  console.log(
    `kots consolidate, ${CITIES.length * DAYS} partitions (${DAYS} days, one DuckDB pass per ≤ 4 M raw rows): ${seconds(consolidateMs)}, ${perSecond(inputRows, consolidateMs)} raw rows read, ` +
      `${perSecond(readings, consolidateMs)} readings written, CPU ${seconds(consolidateCpu)} (${readings.toLocaleString('en-US')} readings; verified by row counts, parts' footers read back)`,
  );
  const referenceMs = (before + after) / 2;
  if (withReference)
    console.log(
      `ratio kots / reference (raw rows/s, reference = mean of the two runs): ${(referenceMs / consolidateMs).toFixed(2)}x wall, ${((beforeCpu + afterCpu) / 2 / consolidateCpu).toFixed(2)}x CPU`,
    );

  await timeQueries(root, 'investigation queries over the CONSOLIDATED lake');
} finally {
  if (!args.includes('--keep') && !reused) rmSync(root, { recursive: true, force: true });
}
console.log(`command: npx tsx bench/lake-consolidate.ts ${process.argv.slice(2).join(' ')}`);
