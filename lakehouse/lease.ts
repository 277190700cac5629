/**
 * One consolidation at a time per day: a lease object in the lake, taken and
 * renewed with conditional writes (S3 If-None-Match / If-Match; a folder lake:
 * an exclusive link and a rename-aside compare-and-swap, core/lake/local-lake.ts).
 *
 * - acquire: create the lease if absent; if present and expired (its holder
 *   crashed, or released it), replace exactly that version. Anything else:
 *   another run holds the day, LAKE_BUSY.
 * - renew: replace our own version with a later expiry. A holder renews in the
 *   background every third of the time to live, and before each step that
 *   deletes or publishes (`fence`): if its version was replaced meanwhile, it
 *   stops before touching anything.
 * - release: renew, then delete: nobody can take a lease renewed a moment ago,
 *   so the delete removes our own version, and a finished run leaves no trace.
 *
 * Expiry compares wall clocks of different machines: keep the time to live
 * well above clock skew (minutes).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { KotsError } from '../core/errors.js';
import type { Lake } from '../core/lake/index.js';

export const DEFAULT_LEASE_MS = 10 * 60_000;

interface LeaseBody {
  owner: string;
  token: string;
  expiresAt: number;
}

export interface LeaseOptions {
  /** How long the lease holds without renewal. */
  ttlMs?: number;
  /** Who holds it, for the message another run prints. */
  owner?: string;
  /** The clock (tests). */
  now?: () => number;
}

export class Lease {
  private etag: string;
  private lost: Error | undefined;
  private renewing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private released = false;

  constructor(
    private readonly lake: Lake,
    readonly key: string,
    private readonly body: Omit<LeaseBody, 'expiresAt'>,
    etag: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {
    this.etag = etag;
    this.timer = setInterval(() => void this.renew().catch(() => undefined), Math.max(1_000, ttlMs / 3));
    this.timer.unref();
  }

  private encode(expiresAt: number): Uint8Array {
    return Buffer.from(`${JSON.stringify({ ...this.body, expiresAt } satisfies LeaseBody)}\n`);
  }

  /** Extends the lease; throws (and stays lost) once another run has replaced it. Calls run one after another. */
  renew(): Promise<void> {
    const attempt = this.renewing.then(async () => {
      if (this.lost) throw this.lost;
      if (this.released) return;
      const etag = await this.lake.putIfMatch(this.key, this.encode(this.now() + this.ttlMs), this.etag);
      if (!etag) {
        this.lost = new KotsError(
          'LAKE_BUSY',
          `lost the consolidation lease ${this.key} to another run (it expired or was taken over); stopped before changing anything else. Run kots consolidate again later.`,
          { retryable: true },
        );
        throw this.lost;
      }
      this.etag = etag;
    });
    this.renewing = attempt.catch(() => undefined);
    return attempt;
  }

  /** Before a step that deletes or publishes: proves the lease is still ours and extends it. */
  fence(): Promise<void> {
    return this.renew();
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (this.released) return;
    try {
      // Renewed first: for a whole time to live from now nobody else may take it, so the plain delete
      // that follows can only remove our own version (S3 has no conditional delete everywhere).
      await this.renew();
    } catch {
      return;
    } finally {
      this.released = true;
    }
    await this.lake.delete(this.key);
  }
}

function describeHolder(body: Uint8Array): { holder: string; expiresAt: number } {
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as Partial<LeaseBody>;
    return { holder: String(parsed.owner ?? 'unknown'), expiresAt: Number(parsed.expiresAt ?? 0) };
  } catch {
    // Not ours to read: treat it as expired, so a damaged lease cannot block a day forever.
    return { holder: 'unreadable lease', expiresAt: 0 };
  }
}

export async function acquireLease(lake: Lake, key: string, options: LeaseOptions = {}): Promise<Lease> {
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_MS;
  const now = options.now ?? Date.now;
  const body = { owner: options.owner ?? `${hostname()} pid ${process.pid}`, token: randomUUID() };
  const encoded = () => Buffer.from(`${JSON.stringify({ ...body, expiresAt: now() + ttlMs } satisfies LeaseBody)}\n`);
  // Two rounds: a lease released or expired between our create and our read is taken on the second.
  for (let round = 0; round < 2; round++) {
    const created = await lake.putIfAbsent(key, encoded());
    if (created) return new Lease(lake, key, body, created, ttlMs, now);
    const current = await lake.getVersioned(key);
    if (!current) continue;
    const { holder, expiresAt } = describeHolder(current.body);
    if (expiresAt > now()) {
      throw new KotsError(
        'LAKE_BUSY',
        `another consolidation (${holder}) holds ${key} until ${new Date(expiresAt).toISOString()}; run again after it ends (a crashed run's lease is taken over once it expires)`,
        { retryable: true },
      );
    }
    const taken = await lake.putIfMatch(key, encoded(), current.etag);
    if (taken) return new Lease(lake, key, body, taken, ttlMs, now);
  }
  throw new KotsError('LAKE_BUSY', `another consolidation took ${key} at the same moment; run again later`, { retryable: true });
}
