/**
 * Where the lake's objects live: an S3 bucket or a local folder with the same
 * keys. Stages use only this interface; both backends pass one conformance suite.
 */
export interface Lake {
  /** Writes the whole object atomically: readers see the old object or the new one, never a part. */
  put(key: string, body: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** Keys under a prefix, in lexical order. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** How DuckDB reaches a key: s3://bucket/prefix/key or an absolute file path. */
  duckdbPath(key: string): string;
  /** One line for logs and summaries. */
  describe(): string;
}
