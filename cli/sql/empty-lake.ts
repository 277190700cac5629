/** Says why a query over the lake would return nothing, instead of letting 0 rows look like an answer. */
import { existsSync } from 'node:fs';
import type { KotsConfig } from '../../core/config/index.js';
import type { LakeSnapshot } from '../../lakehouse/snapshot.js';

export function describeEmptyLake(lake: KotsConfig['lake'], snapshot: LakeSnapshot, description: string): string | undefined {
  if (lake.kind === 'local' && !existsSync(lake.path)) {
    return `the lake folder ${lake.path} does not exist, so every view is empty (lake.path / KOTS_LAKE_PATH; a relative path in a config file is relative to that file)`;
  }
  if (snapshot.rawFiles.length === 0 && snapshot.settledParts.length === 0 && snapshot.touchedParts.length === 0) {
    return `the lake (${description}) holds no readings yet, so every view is empty: run \`kots up\` or \`kots simulate\` first, or point lake.* at another lake`;
  }
  return undefined;
}
