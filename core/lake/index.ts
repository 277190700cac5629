import type { KotsConfig } from '../config/index.js';
import type { Lake } from './lake.js';
import { KotsError } from '../errors.js';
import { LocalLake } from './local-lake.js';
import { S3Lake } from './s3-lake.js';

export type { Lake } from './lake.js';
export { LocalLake } from './local-lake.js';
export { S3Lake, type S3LakeOptions } from './s3-lake.js';
export * from './layout.js';
export * from './columns.js';

export function openLake(lake: KotsConfig['lake']): Lake {
  if (lake.kind === 's3') {
    // The schema refuses kind s3 without a bucket; this keeps a hand-made config honest too.
    if (!lake.bucket) throw new KotsError('CONFIG_INVALID', 'lake.bucket: lake.kind is s3 but no bucket is set (lake.bucket or S3_BUCKET)');
    return new S3Lake({
      bucket: lake.bucket,
      prefix: lake.prefix,
      region: lake.region,
      forcePathStyle: lake.forcePathStyle,
      ...(lake.endpoint ? { endpoint: lake.endpoint } : {}),
      ...(lake.accessKeyId ? { accessKeyId: lake.accessKeyId } : {}),
      ...(lake.secretAccessKey ? { secretAccessKey: lake.secretAccessKey } : {}),
    });
  }
  return new LocalLake(lake.path);
}
