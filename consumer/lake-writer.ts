/**
 * Writes one partition batch as Parquet objects, one per (date, city), with
 * deterministic names (topic, partition, first and last offset of the group).
 * The batch is encoded in one DuckDB pass; the uploads overlap.
 */
import { type EventLabel, type Lake, type RecordPosition, rawObjectKey } from '../core/lake/index.js';
import { type ParquetEncoder, ReadingLines } from '../core/lake/parquet.js';
import { KotsError } from '../core/errors.js';
import type { Reading } from '../core/reading.js';

const UPLOAD_CONCURRENCY = 8;

interface GroupRange {
  city: string;
  firstOffset: bigint;
  lastOffset: bigint;
  rows: number;
}

/** A reading to write: the text it was parsed from, the parsed reading, where it was read and its event. */
export interface LakeEntry {
  text: string;
  reading: Reading;
  position: RecordPosition;
  event: EventLabel;
}

/** The readings of one partition batch, kept as the lines DuckDB reads, with each (date, city)'s offsets. */
export class LakeBatch {
  readonly lines = new ReadingLines();
  private readonly groups = new Map<string, GroupRange>();

  get length(): number {
    return this.lines.length;
  }

  add({ text, reading, position, event }: LakeEntry): void {
    const date = this.lines.add(text, reading, position, event);
    const city = reading.city.slug;
    const offset = position.offset;
    const key = `${date}/${city}`;
    const range = this.groups.get(key);
    if (!range) this.groups.set(key, { city, firstOffset: offset, lastOffset: offset, rows: 1 });
    else {
      if (offset < range.firstOffset) range.firstOffset = offset;
      if (offset > range.lastOffset) range.lastOffset = offset;
      range.rows++;
    }
  }

  range(date: string, city: string): GroupRange | undefined {
    return this.groups.get(`${date}/${city}`);
  }

  /** Rows per city slug. */
  rowsPerCity(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { city, rows } of this.groups.values()) out.set(city, (out.get(city) ?? 0) + rows);
    return out;
  }

  static of(entries: readonly LakeEntry[]): LakeBatch {
    const batch = new LakeBatch();
    for (const entry of entries) batch.add(entry);
    return batch;
  }
}

export interface RawObject {
  key: string;
  body: Uint8Array;
}

/** Encodes a partition batch into its lake objects (one per date and city), named by their offsets. */
export async function encodeBatch(encoder: ParquetEncoder, topic: string, partition: number, entries: readonly LakeEntry[] | LakeBatch): Promise<RawObject[]> {
  const batch = entries instanceof LakeBatch ? entries : LakeBatch.of(entries);
  if (batch.length === 0) return [];
  const files = await encoder.encodeByDateAndCity(batch.lines, topic, partition);
  return files.map(({ date, city, body }) => {
    const range = batch.range(date, city);
    if (!range) throw new KotsError('LAKE_INCONSISTENT', `the encoder wrote ${date}/${city}, which is not in the batch`);
    return { key: rawObjectKey({ date, city, topic, partition, firstOffset: range.firstOffset, lastOffset: range.lastOffset }), body };
  });
}

/** Uploads the objects, several at a time (network waits overlap); returns their keys. */
export async function putObjects(lake: Lake, objects: readonly RawObject[]): Promise<string[]> {
  for (let i = 0; i < objects.length; i += UPLOAD_CONCURRENCY) {
    await Promise.all(objects.slice(i, i + UPLOAD_CONCURRENCY).map(({ key, body }) => lake.put(key, body)));
  }
  return objects.map((o) => o.key);
}

export async function writeBatchToLake(
  lake: Lake,
  encoder: ParquetEncoder,
  topic: string,
  partition: number,
  entries: readonly LakeEntry[] | LakeBatch,
): Promise<string[]> {
  return putObjects(lake, await encodeBatch(encoder, topic, partition, entries));
}
