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
  /**
   * Conditional writes, for leases (lakehouse/lease.ts). `putIfAbsent` creates the object only
   * if no object has the key; `putIfMatch` replaces it only if it is still the version `etag`
   * names. Each returns the new version's etag, or undefined when the condition failed.
   */
  putIfAbsent(key: string, body: Uint8Array): Promise<string | undefined>;
  putIfMatch(key: string, body: Uint8Array, etag: string): Promise<string | undefined>;
  /** The object and its version (etag), or undefined when there is none. */
  getVersioned(key: string): Promise<{ body: Uint8Array; etag: string } | undefined>;
  /**
   * Marks raw objects whose readings a verified consolidated part holds (S3: object tag
   * `kots-consolidated=true`, which the bucket's lifecycle rule expires by; a folder: nothing).
   */
  markConsolidated(keys: readonly string[]): Promise<void>;
  /** How DuckDB reaches a key: s3://bucket/prefix/key or an absolute file path. */
  duckdbPath(key: string): string;
  /** One line for logs and summaries. */
  describe(): string;
}
