/**
 * Object keys of the lake (docs/design.md, "Lake keys"). Hive-style partitions, and raw
 * names built only from topic, partition and offsets, so writing the same
 * offsets twice gives the same object.
 */
export const RAW_WEATHER_PREFIX = 'raw/weather/';
export const CONSOLIDATED_WEATHER_PREFIX = 'consolidated/weather/';
/** The tag a raw object gets once a verified consolidated part holds its readings; S3's lifecycle expires raw/ by it. */
export const CONSOLIDATED_TAG = { key: 'kots-consolidated', value: 'true' } as const;

export interface RawObjectName {
  date: string; // YYYY-MM-DD (UTC date of observed_at)
  city: string;
  topic: string;
  partition: number;
  firstOffset: bigint | number;
  lastOffset: bigint | number;
}

export function rawObjectKey(name: RawObjectName): string {
  return `${RAW_WEATHER_PREFIX}date=${name.date}/city=${name.city}/${name.topic}-${name.partition}-${name.firstOffset}-${name.lastOffset}.parquet`;
}

const RAW_KEY = /^raw\/weather\/date=(\d{4}-\d{2}-\d{2})\/city=([a-z0-9-]+)\/(.+)-(\d+)-(\d+)-(\d+)\.parquet$/;

export function parseRawObjectKey(key: string): RawObjectName | undefined {
  const [, date, city, topic, partition, first, last] = RAW_KEY.exec(key) ?? [];
  if (!date || !city || !topic || !partition || !first || !last) return undefined;
  return { date, city, topic, partition: Number(partition), firstOffset: BigInt(first), lastOffset: BigInt(last) };
}

export function utcDate(iso: string | Date): string {
  return (typeof iso === 'string' ? new Date(iso) : iso).toISOString().slice(0, 10);
}
