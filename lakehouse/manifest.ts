/**
 * The consolidated side of the lake, per (date, city) partition:
 *
 *   consolidated/weather/date=D/city=C/part-<hash>.parquet   the de-duplicated rows
 *   consolidated/weather/date=D/city=C/_manifest.json        written LAST, after verification
 *
 * The manifest names the one part file readers use and the raw objects it
 * covers. A part file without a manifest naming it is invisible (an
 * interrupted run, or a file superseded by a newer run), so a crash can never
 * expose a partial state: readers see the old manifest or the new one.
 * `<hash>` is a hash of the covered raw keys: the same inputs give the same name.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { KotsError } from '../core/errors.js';
import type { Lake } from '../core/lake/index.js';
import { CONSOLIDATED_WEATHER_PREFIX } from '../core/lake/layout.js';

export const MANIFEST_NAME = '_manifest.json';

const manifestSchema = z.strictObject({
  v: z.literal(1),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  city: z.string().regex(/^[a-z0-9-]+$/),
  /** Part file name inside the partition folder. */
  file: z.string().regex(/^part-[0-9a-f]+\.parquet$/),
  /** Rows (= distinct reading ids) in the part file, checked after it was written. */
  rows: z.number().int().nonnegative(),
  /** Raw object keys whose readings the part holds, sorted. */
  covers: z.array(z.string()),
});

export type ConsolidationManifest = z.infer<typeof manifestSchema>;

export interface PartitionId {
  date: string;
  city: string;
}

export function consolidatedPrefix({ date, city }: PartitionId): string {
  return `${CONSOLIDATED_WEATHER_PREFIX}date=${date}/city=${city}/`;
}

export function rawPrefix({ date, city }: PartitionId): string {
  return `raw/weather/date=${date}/city=${city}/`;
}

export function manifestKey(partition: PartitionId): string {
  return consolidatedPrefix(partition) + MANIFEST_NAME;
}

export function partKey(manifest: Pick<ConsolidationManifest, 'date' | 'city' | 'file'>): string {
  return consolidatedPrefix(manifest) + manifest.file;
}

/** Deterministic part file name for a set of covered raw keys. */
export function partFileName(covers: readonly string[]): string {
  const hash = createHash('sha256')
    .update([...covers].sort().join('\n'))
    .digest('hex')
    .slice(0, 20);
  return `part-${hash}.parquet`;
}

const MANIFEST_KEY = /^consolidated\/weather\/date=(\d{4}-\d{2}-\d{2})\/city=([a-z0-9-]+)\/_manifest\.json$/;

export function parseManifestKey(key: string): PartitionId | undefined {
  const [, date, city] = MANIFEST_KEY.exec(key) ?? [];
  return date && city ? { date, city } : undefined;
}

export function encodeManifest(manifest: ConsolidationManifest): Uint8Array {
  return Buffer.from(`${JSON.stringify({ ...manifest, covers: [...manifest.covers].sort() }, null, 1)}\n`);
}

export function decodeManifest(key: string, body: Uint8Array): ConsolidationManifest {
  let parsed: ReturnType<typeof manifestSchema.safeParse>;
  try {
    parsed = manifestSchema.safeParse(JSON.parse(Buffer.from(body).toString('utf8')));
  } catch (error) {
    throw new KotsError(
      'LAKE_INCONSISTENT',
      `${key} is not JSON (${(error as Error).message}); delete it and run kots consolidate for that date and city again`,
      { cause: error },
    );
  }
  if (!parsed.success) {
    const problem = parsed.error.issues[0];
    throw new KotsError(
      'LAKE_INCONSISTENT',
      `${key} is not a kots manifest (${problem?.path.join('.')}: ${problem?.message}); delete it and run kots consolidate for that date and city again`,
    );
  }
  const expected = parseManifestKey(key);
  if (expected && (expected.date !== parsed.data.date || expected.city !== parsed.data.city)) {
    throw new KotsError('LAKE_INCONSISTENT', `${key} describes date=${parsed.data.date}/city=${parsed.data.city}, not its own folder`);
  }
  return parsed.data;
}

/** The manifest of a partition, or undefined when it was never consolidated. */
export async function readManifest(lake: Lake, partition: PartitionId): Promise<ConsolidationManifest | undefined> {
  const key = manifestKey(partition);
  const found = await lake.getVersioned(key);
  return found ? decodeManifest(key, found.body) : undefined;
}

/** A manifest a listing just showed. */
export async function readManifestAt(lake: Lake, key: string): Promise<ConsolidationManifest> {
  return decodeManifest(key, await lake.get(key));
}
