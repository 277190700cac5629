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
      new S3Lake({
        bucket: await createBucket(),
        endpoint: servers.s3Endpoint,
        accessKeyId: servers.s3AccessKey,
        secretAccessKey: servers.s3SecretKey,
        prefix: 'p1',
      }),
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

  it('creates only when absent and replaces only the version read (conditional writes for leases)', async () => {
    const lake = await open();
    const key = 'consolidated/weather/date=2026-11-25/_lease.json';
    expect(await lake.getVersioned(key)).toBeUndefined();
    expect(await lake.putIfMatch(key, Buffer.from('x'), 'no-such-version')).toBeUndefined();
    const first = await lake.putIfAbsent(key, Buffer.from('one'));
    expect(first).toBeTruthy();
    expect(await lake.putIfAbsent(key, Buffer.from('two'))).toBeUndefined();
    const read = await lake.getVersioned(key);
    expect(Buffer.from(read!.body).toString()).toBe('one');
    expect(read!.etag).toBe(first);
    const second = await lake.putIfMatch(key, Buffer.from('three'), first!);
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    // The version read before is gone: a writer still holding it loses, and the object stays as the winner wrote it.
    expect(await lake.putIfMatch(key, Buffer.from('four'), first!)).toBeUndefined();
    expect(Buffer.from(await lake.get(key)).toString()).toBe('three');
    // Of writers racing with the same version, exactly one wins.
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => lake.putIfMatch(key, Buffer.from(`racer ${i}`), second!)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await lake.list('consolidated/')).toEqual([key]);
  });
});
