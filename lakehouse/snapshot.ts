/**
 * Which files a reader of the lake should scan, decided once when a database
 * is opened. For each (date, city) partition: the part file its manifest
 * names, plus the raw files no manifest covers yet (readings that arrived
 * after the last consolidation). Nothing is read twice and nothing is missed:
 *
 * - raw files are listed BEFORE the manifests are read. A consolidation that
 *   lands in between is then seen with the raw files it covers (they are
 *   skipped), and raw files are only ever removed after their manifest exists,
 *   so a listed raw file is either covered by a manifest we read or still
 *   there to read (or, after the retention, gone: an I/O error, never a
 *   silently wrong count).
 * - part files without a manifest naming them (an interrupted run, a file
 *   superseded by a later run) are never read.
 */
import type { Lake } from '../core/lake/index.js';
import { CONSOLIDATED_WEATHER_PREFIX, RAW_WEATHER_PREFIX } from '../core/lake/layout.js';
import { decodeManifest, parseManifestKey, partKey, type ConsolidationManifest } from './manifest.js';
import { KotsError } from '../core/errors.js';

export interface LakeSnapshot {
  /** Every raw Parquet object (what `raw_readings` shows). */
  readonly rawFiles: string[];
  /** Part files of partitions that have no raw file pending: read as they are. */
  readonly settledParts: string[];
  /** Part files of partitions that also have pending raw files: de-duplicated together with them. */
  readonly touchedParts: string[];
  /** Raw files no manifest covers yet. */
  readonly pendingRaw: string[];
  readonly manifests: ConsolidationManifest[];
}

const HIVE_PARTITION = /\/date=([^/]+)\/city=([^/]+)\//;
const partitionOf = (date: string, city: string) => `${date}|${city}`;

/**
 * Analysts' identities may read consolidated/ only (terraform/README.md): for them raw/ is
 * not an error, just not theirs to see, and the views show the consolidated lake.
 */
async function listUnlessDenied(lake: Lake, prefix: string): Promise<string[]> {
  try {
    return await lake.list(prefix);
  } catch (error) {
    if (error instanceof KotsError && error.code === 'NOT_AUTHORIZED') return [];
    throw error;
  }
}

export async function readSnapshot(lake: Lake, concurrency = 16): Promise<LakeSnapshot> {
  const rawFiles = (await listUnlessDenied(lake, RAW_WEATHER_PREFIX)).filter((key) => key.endsWith('.parquet'));
  const manifestKeys = (await lake.list(CONSOLIDATED_WEATHER_PREFIX)).filter((key) => parseManifestKey(key));
  const manifests: ConsolidationManifest[] = new Array(manifestKeys.length);
  // The workers share one iterator: each takes the next key as it finishes the last.
  const work = manifestKeys.entries();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, manifestKeys.length) }, async () => {
      for (const [index, key] of work) manifests[index] = decodeManifest(key, await lake.get(key));
    }),
  );
  const covered = new Set(manifests.flatMap((m) => m.covers));
  const pendingRaw = rawFiles.filter((key) => !covered.has(key));
  const touched = new Set(
    pendingRaw.flatMap((key) => {
      // From the Hive path, not the file name: a raw file named by another writer still marks its partition.
      const [, date, city] = HIVE_PARTITION.exec(key) ?? [];
      return date && city ? [partitionOf(date, city)] : [];
    }),
  );
  const settledParts: string[] = [];
  const touchedParts: string[] = [];
  for (const manifest of manifests) (touched.has(partitionOf(manifest.date, manifest.city)) ? touchedParts : settledParts).push(partKey(manifest));
  return { rawFiles, settledParts, touchedParts, pendingRaw, manifests };
}
