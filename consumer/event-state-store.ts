/**
 * Per-partition event history (for The Fish Rain) saved in the lake next to the
 * data, keyed by the offset the consumer commits with it. A consumer that takes
 * a partition over, or restarts, resumes from exactly the history that matches
 * the committed offset, so the labels never depend on which process saw what.
 */
import type { Lake } from '../core/lake/index.js';

export class EventStateStore {
  constructor(
    private readonly lake: Lake,
    private readonly group: string,
  ) {}

  private prefix(topic: string, partition: number): string {
    return `_state/events/${this.group}/${topic}-${partition}/`;
  }

  private key(topic: string, partition: number, nextOffset: bigint): string {
    return `${this.prefix(topic, partition)}${nextOffset.toString().padStart(20, '0')}.json`;
  }

  async save(topic: string, partition: number, nextOffset: bigint, snapshot: unknown): Promise<void> {
    await this.lake.put(this.key(topic, partition, nextOffset), Buffer.from(JSON.stringify(snapshot)));
  }

  /**
   * The snapshot taken when `offset` was committed. Falls back to the newest one
   * before it (and says so) when that exact snapshot is missing; undefined when
   * the partition has none, which is right for a partition read from its start.
   */
  async load(topic: string, partition: number, offset: bigint): Promise<{ snapshot: unknown; exact: boolean } | undefined> {
    const keys = await this.lake.list(this.prefix(topic, partition));
    const wanted = this.key(topic, partition, offset);
    const candidates = keys.filter((k) => k <= wanted);
    const best = candidates[candidates.length - 1];
    if (!best) return undefined;
    const snapshot: unknown = JSON.parse(Buffer.from(await this.lake.get(best)).toString('utf8'));
    return { snapshot, exact: best === wanted };
  }

  /** Removes snapshots older than the committed one; keeps a couple for safety. */
  async prune(topic: string, partition: number, committed: bigint, keep = 2): Promise<void> {
    const keys = await this.lake.list(this.prefix(topic, partition));
    const limit = this.key(topic, partition, committed);
    const older = keys.filter((k) => k < limit);
    for (const key of older.slice(0, Math.max(0, older.length - keep))) await this.lake.delete(key);
  }
}
