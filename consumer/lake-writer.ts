/** Writes one partition batch as Parquet objects, one per (date, city), with deterministic names. */
import { type Lake, rawObjectKey, utcDate, type WeatherRow } from '../core/lake/index.js';
import type { ParquetEncoder } from '../core/lake/parquet.js';

const UPLOAD_CONCURRENCY = 8;

export async function writeBatchToLake(
  lake: Lake,
  encoder: ParquetEncoder,
  topic: string,
  partition: number,
  rows: readonly WeatherRow[],
): Promise<string[]> {
  const groups = new Map<string, WeatherRow[]>();
  for (const row of rows) {
    const group = `${utcDate(row.current_time_utc as Date)}|${row.city_slug}`;
    let list = groups.get(group);
    if (!list) groups.set(group, (list = []));
    list.push(row);
  }
  const objects: Array<{ key: string; body: Uint8Array }> = [];
  for (const [group, groupRows] of groups) {
    const [date, city] = group.split('|') as [string, string];
    const offsets = groupRows.map((r) => r.kafka_offset as bigint);
    const key = rawObjectKey({
      date,
      city,
      topic,
      partition,
      firstOffset: offsets.reduce((a, b) => (b < a ? b : a)),
      lastOffset: offsets.reduce((a, b) => (b > a ? b : a)),
    });
    objects.push({ key, body: await encoder.encode(groupRows) });
  }
  // Encoding is CPU work done one after another; the uploads are network waits, so they overlap.
  for (let i = 0; i < objects.length; i += UPLOAD_CONCURRENCY) {
    await Promise.all(objects.slice(i, i + UPLOAD_CONCURRENCY).map(({ key, body }) => lake.put(key, body)));
  }
  return objects.map((o) => o.key);
}
