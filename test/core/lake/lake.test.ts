/** One conformance suite that both lake backends pass: the local folder and a real S3 server. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalLake, S3Lake, type Lake } from '../../../core/lake/index.js';
import { createBucket, servers } from '../../helpers/servers.js';

const backends: Array<[string, () => Promise<Lake>]> = [
  ['local folder', async () => new LocalLake(mkdtempSync(join(tmpdir(), 'kots-lake-')))],
  [
    'S3 server',
    async () =>
      new S3Lake({ bucket: await createBucket(), endpoint: servers.s3Endpoint, accessKeyId: servers.s3AccessKey, secretAccessKey: servers.s3SecretKey, prefix: 'p1' }),
  ],
];

describe.each(backends)('lake on %s', (_name, open) => {
  it('puts, lists by prefix in order, gets and deletes', async () => {
    const lake = await open();
    await lake.put('raw/weather/date=2026-11-25/city=kochi/weather-0-10-19.parquet', Buffer.from('b'));
    await lake.put('raw/weather/date=2026-11-25/city=kochi/weather-0-0-9.parquet', Buffer.from('a'));
    await lake.put('raw/weather/date=2026-11-26/city=nakano/weather-1-0-3.parquet', Buffer.from('c'));
    await lake.put('consolidated/weather/x.parquet', Buffer.from('d'));
    expect(await lake.list('raw/weather/date=2026-11-25/')).toEqual([
      'raw/weather/date=2026-11-25/city=kochi/weather-0-0-9.parquet',
      'raw/weather/date=2026-11-25/city=kochi/weather-0-10-19.parquet',
    ]);
    expect(await lake.list('raw/')).toHaveLength(3);
    expect(await lake.list('nothing/')).toEqual([]);
    expect(Buffer.from(await lake.get('consolidated/weather/x.parquet')).toString()).toBe('d');
    await lake.delete('consolidated/weather/x.parquet');
    expect(await lake.list('consolidated/')).toEqual([]);
  });

  it('overwrites an object whole when the same key is written again', async () => {
    const lake = await open();
    await lake.put('k/obj', Buffer.alloc(100_000, 1));
    await lake.put('k/obj', Buffer.from('short'));
    expect(Buffer.from(await lake.get('k/obj')).toString()).toBe('short');
    expect(await lake.list('k/')).toEqual(['k/obj']);
  });
});
