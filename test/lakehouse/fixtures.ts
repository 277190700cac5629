/**
 * Lakes full of simulated, labelled readings for the lakehouse tests: the
 * agent's weather simulator makes the weather, consumer/events labels it (as the consumer does), and the
 * consumer's own writer puts raw Parquet where the consumer would. Batches
 * re-written with other boundaries stand for a consumer that crashed before
 * committing: the same readings in more than one raw file.
 */
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { buildReading } from '../../agent/reading.js';
import { DEFAULT_CITIES, resolveCity, type ResolvedCity } from '../../agent/cities.js';
import { WeatherSimulator } from '../../agent/simulator/simulator.js';
import { type LakeEntry, writeBatchToLake } from '../../consumer/lake-writer.js';
import { detectEvent } from '../../consumer/events/index.js';
import { NO_EVENT, type Lake } from '../../core/lake/index.js';
import { ParquetEncoder } from '../../core/lake/parquet.js';

export const TOPIC = 'weather';
export const PARTITIONS = 3;

export interface SimulatedLakeOptions {
  cities?: ResolvedCity[];
  from: Date;
  hours: number;
  intervalMinutes: number;
  seed?: number;
}

export function partitionOf(citySlug: string): number {
  return createHash('md5').update(citySlug).digest().readUInt32BE(0) % PARTITIONS;
}

/** Readings per Kafka partition, in stream order, labelled like the consumer labels them. */
export function simulatedRows(options: SimulatedLakeOptions): LakeEntry[][] {
  const cities = options.cities ?? DEFAULT_CITIES.map(resolveCity);
  const byPartition: LakeEntry[][] = Array.from({ length: PARTITIONS }, () => []);
  const steps = Math.floor((options.hours * 60) / options.intervalMinutes);
  const sims = cities.map((city, i) => new WeatherSimulator(city, (options.seed ?? 1) + i));
  const seqs = cities.map(() => 0);
  // Time-major, so each partition interleaves its cities like a live stream does.
  for (let step = 0; step < steps; step++) {
    const at = new Date(options.from.getTime() + step * options.intervalMinutes * 60_000);
    cities.forEach((city, i) => {
      const observed = new Date(at.getTime() + ((i * 37_000) % (options.intervalMinutes * 60_000)));
      const seq = seqs[i]!++;
      const built = buildReading({ deviceId: `sim-${city.slug}`, city, source: 'simulated' }, seq, observed, sims[i]!.at(observed));
      // Deterministic ids (their gates decide events), so every run of a test sees the same data.
      const random = createHash('sha256')
        .update(`${options.seed ?? 1}:${city.slug}:${seq}`)
        .digest()
        .subarray(0, 16);
      const reading = { ...built, id: uuidv7({ msecs: observed.getTime(), random }) };
      const partition = partitionOf(city.slug);
      const list = byPartition[partition]!;
      const event = detectEvent(reading);
      const label = event ? { id: event.id, name: event.name, description: event.description, newsflash: event.newsflash } : NO_EVENT;
      list.push({
        text: JSON.stringify(reading),
        reading,
        position: { topic: TOPIC, partition, offset: BigInt(list.length), timestamp: observed },
        event: label,
      });
    });
  }
  return byPartition;
}

export interface WriteOptions {
  batchSize: number;
  /** Every n-th batch is written a second time, shifted by half a batch (a crash before the commit). */
  duplicateEvery?: number;
}

/** Writes the rows as the consumer would; returns the raw keys and the number of rows written (duplicates included). */
export async function writeRawLake(lake: Lake, byPartition: LakeEntry[][], options: WriteOptions): Promise<{ keys: string[]; rowsWritten: number }> {
  const encoder = new ParquetEncoder();
  const keys = new Set<string>();
  let rowsWritten = 0;
  try {
    for (const [partition, rows] of byPartition.entries()) {
      let batch = 0;
      for (let start = 0; start < rows.length; start += options.batchSize, batch++) {
        const slices = [rows.slice(start, start + options.batchSize)];
        if (options.duplicateEvery && batch % options.duplicateEvery === 0) {
          const shifted = start + Math.floor(options.batchSize / 2);
          slices.push(rows.slice(shifted, shifted + options.batchSize));
        }
        for (const slice of slices) {
          if (slice.length === 0) continue;
          for (const key of await writeBatchToLake(lake, encoder, TOPIC, partition, slice)) keys.add(key);
          rowsWritten += slice.length;
        }
      }
    }
  } finally {
    encoder.close();
  }
  return { keys: [...keys].sort(), rowsWritten };
}

export const distinctReadings = (byPartition: LakeEntry[][]) => byPartition.reduce((n, rows) => n + rows.length, 0);
