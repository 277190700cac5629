/**
 * The lake of a config, with the S3 client loaded only when the lake is a bucket: the AWS SDK
 * costs a second or more to load on a small machine, and `kots sql` over a folder never uses it.
 */
import type { KotsConfig } from '../config/index.js';
import type { Lake } from './lake.js';
import { LocalLake } from './local-lake.js';

export async function openLakeLazily(lake: KotsConfig['lake']): Promise<Lake> {
  if (lake.kind !== 's3') return new LocalLake(lake.path);
  const { openLake } = await import('./index.js');
  return openLake(lake);
}
