import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { KotsError } from '../errors.js';
import type { Lake } from './lake.js';
import { CONSOLIDATED_TAG } from './layout.js';

export interface S3LakeOptions {
  bucket: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle?: boolean;
}

/** The lake in an S3 bucket (AWS or any S3-compatible store). A PUT is atomic by S3's contract. */
export class S3Lake implements Lake {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(readonly options: S3LakeOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ? options.prefix.replace(/\/?$/, '/') : '';
    const config: S3ClientConfig = {
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? true,
      // Retries live in the stage that knows what a failure means (the consumer backs off and pauses).
      maxAttempts: 2,
      // Without timeouts a request caught by a server restart can wait forever, and a
      // consumer waiting on it would hold its partition (and its buffers) with it.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.accessKeyId && options.secretAccessKey) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  private wrap(action: string, key: string, error: unknown): KotsError {
    const name = (error as { name?: string }).name ?? 'Error';
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const retryable = status === undefined || status >= 500 || status === 429 || name === 'TimeoutError';
    const code = status === 403 ? 'NOT_AUTHORIZED' : 'LAKE_UNAVAILABLE';
    return new KotsError(
      code,
      `S3 ${action} s3://${this.bucket}/${this.prefix}${key} failed: ${name}${status ? ` (HTTP ${status})` : ''}: ${(error as Error).message}`,
      { retryable, cause: error },
    );
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentType: 'application/vnd.apache.parquet' }));
    } catch (error) {
      throw this.wrap('put', key, error);
    }
  }

  /** S3 conditional writes (If-None-Match: *, If-Match: etag); AWS S3 and MinIO answer 412 when the condition fails. */
  private async putConditional(key: string, body: Uint8Array, condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentType: 'application/json', ...condition }),
      );
      return out.ETag;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // 412: the condition failed; 409: a concurrent conditional write to the same key won; 404: If-Match on a key that is gone.
      if (status === 412 || status === 409 || status === 404) return undefined;
      throw this.wrap('conditional put', key, error);
    }
  }

  putIfAbsent(key: string, body: Uint8Array): Promise<string | undefined> {
    return this.putConditional(key, body, { IfNoneMatch: '*' });
  }

  putIfMatch(key: string, body: Uint8Array, etag: string): Promise<string | undefined> {
    return this.putConditional(key, body, { IfMatch: etag });
  }

  async getVersioned(key: string): Promise<{ body: Uint8Array; etag: string } | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      if (!out.Body || !out.ETag) throw new Error('the store answered without a body or an ETag');
      return { body: await out.Body.transformToByteArray(), etag: out.ETag };
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw this.wrap('get', key, error);
    }
  }

  /** Tags each object `kots-consolidated=true`: the bucket's lifecycle rule expires raw objects by that tag only (terraform/s3.tf). */
  async markConsolidated(keys: readonly string[]): Promise<void> {
    // The workers share one iterator: each takes the next key as it finishes the last.
    const work = keys.values();
    const worker = async () => {
      for (const key of work) {
        try {
          await this.client.send(
            new PutObjectTaggingCommand({
              Bucket: this.bucket,
              Key: this.prefix + key,
              Tagging: { TagSet: [{ Key: CONSOLIDATED_TAG.key, Value: CONSOLIDATED_TAG.value }] },
            }),
          );
        } catch (error) {
          throw this.wrap('tag', key, error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      if (!out.Body) throw new Error('the store answered without a body');
      return await out.Body.transformToByteArray();
    } catch (error) {
      throw this.wrap('get', key, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }));
        for (const item of out.Contents ?? []) if (item.Key) keys.push(item.Key.slice(this.prefix.length));
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.wrap('list', prefix, error);
    }
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (error) {
      throw this.wrap('delete', key, error);
    }
  }

  duckdbPath(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  describe(): string {
    return `s3://${this.bucket}/${this.prefix}${this.options.endpoint ? ` at ${this.options.endpoint}` : ''}`;
  }

  close(): void {
    this.client.destroy();
  }
}
