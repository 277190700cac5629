/**
 * The on-disk spool: every reading is appended here (and fsync'd) before it is
 * offered to the broker, and leaves only after the broker's PUBACK. It is what
 * lets an agent survive broker outages, network loss, SIGKILL and reboots
 * without losing a reading it took.
 *
 * Layout of the spool folder:
 *   <first seq, 16 digits>.seg   append-only segments, one reading JSON per line
 *   head                         the lowest seq not yet acknowledged (or dropped)
 *
 * The entry index is the reading's own `seq`, so the spool also persists the
 * per-device counter: the next seq is one past the last line written, or the
 * head when everything was acknowledged and the segments deleted.
 *
 * Acknowledgements may arrive out of order inside the in-flight window; the
 * head only moves over a contiguous acknowledged prefix. The head is persisted
 * lazily (at most every `headFlushMs`, 1 s by default): a crash before that re-sends a few
 * acknowledged readings, which QoS 1 (at least once) allows and de-duplication
 * by reading id downstream absorbs. Nothing is ever removed before its PUBACK.
 *
 * Pure JavaScript (node:fs): the single binary carries no native addon.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  ftruncateSync,
} from 'node:fs';
import { join } from 'node:path';
import { KotsError, errorMessage } from '../core/errors.js';

export interface SpoolOptions {
  /** Bound of the readings kept; beyond it the oldest are dropped and counted. */
  maxBytes: number;
  /** Segment size at which a new segment file is started (default: maxBytes/8, 4 KiB..1 MiB). */
  segmentBytes?: number;
  /** Longest delay before an advanced head is written to disk. */
  headFlushMs?: number;
  /** Called for damage found while opening (a torn last line, an unreadable line). */
  onWarning?: (message: string) => void;
}

export interface SpoolEntry {
  seq: number;
  payload: string;
}

interface IndexEntry {
  seq: number;
  segment: Segment;
  offset: number;
  length: number;
}

interface Segment {
  firstSeq: number;
  path: string;
  size: number;
  /** Highest seq written to it; -1 while empty. */
  lastSeq: number;
}

const SEGMENT_SUFFIX = '.seg';
const HEAD_FILE = 'head';
/** Seqs start at 1 so that "0 readings" and "reading #1" never look alike. */
const FIRST_SEQ = 1;

export class DiskSpool {
  private readonly segments: Segment[] = [];
  /** Entries from the head on, in seq order. */
  private readonly index: IndexEntry[] = [];
  private readonly acked = new Set<number>();
  private head = FIRST_SEQ;
  private persistedHead = FIRST_SEQ;
  private next = FIRST_SEQ;
  private pendingBytes = 0;
  private droppedCount = 0;
  private activeFd: number | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly segmentBytes: number;
  private readonly headFlushMs: number;

  private constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? Math.min(1024 * 1024, Math.max(4096, Math.floor(options.maxBytes / 8)));
    this.headFlushMs = options.headFlushMs ?? 1000;
  }

  /** Opens (or creates) the spool in `dir` and indexes what an earlier run left there. */
  static open(dir: string, options: SpoolOptions): DiskSpool {
    const spool = new DiskSpool(dir, options);
    try {
      mkdirSync(dir, { recursive: true });
      spool.load();
    } catch (error) {
      if (error instanceof KotsError) throw error;
      throw new KotsError('SPOOL_FAILED', `cannot open the spool in ${dir} (agent.spoolDir): ${errorMessage(error)}`, { cause: error });
    }
    return spool;
  }

  /** The seq the next appended reading gets. */
  nextSeq(): number {
    return this.next;
  }

  /** Readings waiting for their PUBACK. */
  depth(): number {
    return this.index.length;
  }

  bytes(): number {
    return this.pendingBytes;
  }

  dropped(): number {
    return this.droppedCount;
  }

  /** The oldest unacknowledged seq (equals nextSeq() when the spool is empty). */
  headSeq(): number {
    return this.head;
  }

  /**
   * Appends readings, each built from the seq it is given, and fsyncs once for
   * the batch. Returns only when they are durable.
   */
  append(build: (seq: number) => string, count = 1): SpoolEntry[] {
    this.assertOpen();
    const entries: SpoolEntry[] = [];
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const seq = this.next + i;
      const payload = build(seq);
      if (payload.includes('\n')) throw new KotsError('SPOOL_FAILED', 'a spooled payload must be a single line of JSON');
      entries.push({ seq, payload });
      lines.push(payload);
    }
    try {
      for (const entry of entries) this.writeLine(entry);
      if (this.activeFd !== undefined) fsyncSync(this.activeFd);
    } catch (error) {
      throw new KotsError('SPOOL_FAILED', `cannot write to the spool in ${this.dir}: ${errorMessage(error)}`, { retryable: true, cause: error });
    }
    this.next += count;
    this.enforceBound();
    return entries;
  }

  /** Pending entries with seq >= `fromSeq`, oldest first, at most `limit`. */
  read(fromSeq: number, limit: number): SpoolEntry[] {
    this.assertOpen();
    const out: SpoolEntry[] = [];
    let i = this.position(fromSeq);
    for (; out.length < limit; i++) {
      const entry = this.index[i];
      if (!entry) break;
      if (this.acked.has(entry.seq)) continue;
      out.push({ seq: entry.seq, payload: this.readPayload(entry) });
    }
    return out;
  }

  /** Records the broker's PUBACK for `seq`; the entry leaves once all older ones left too. */
  ack(seq: number): void {
    if (this.closed || seq < this.head || seq >= this.next) return;
    this.acked.add(seq);
    let moved = false;
    for (let entry = this.index[0]; entry && this.acked.has(entry.seq); entry = this.index[0]) {
      this.index.shift();
      this.acked.delete(entry.seq);
      this.pendingBytes -= entry.length;
      moved = true;
    }
    if (moved) this.moveHead(this.index[0]?.seq ?? this.next);
  }

  /** Writes the head now and closes the files. */
  close(): void {
    if (this.closed) return;
    this.flushHead();
    if (this.activeFd !== undefined) closeSync(this.activeFd);
    this.activeFd = undefined;
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new KotsError('SPOOL_FAILED', `the spool in ${this.dir} is closed`);
  }

  /** Index of the first entry with seq >= `seq` (seqs may have gaps where damaged lines were skipped). */
  private position(seq: number): number {
    let low = 0;
    let high = this.index.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.index[mid]?.seq ?? seq) < seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private writeLine(entry: SpoolEntry): void {
    const bytes = Buffer.from(`${entry.payload}\n`, 'utf8');
    let segment = this.segments.at(-1);
    if (!segment || this.activeFd === undefined || (segment.size > 0 && segment.size + bytes.length > this.segmentBytes)) {
      segment = this.startSegment(entry.seq);
    }
    const fd = this.activeFd;
    if (fd === undefined) throw new Error('spool: no segment open for writing');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, segment.size + written);
    this.index.push({ seq: entry.seq, segment, offset: segment.size, length: bytes.length });
    segment.size += bytes.length;
    segment.lastSeq = entry.seq;
    this.pendingBytes += bytes.length;
  }

  private startSegment(firstSeq: number): Segment {
    if (this.activeFd !== undefined) {
      fsyncSync(this.activeFd);
      closeSync(this.activeFd);
    }
    const path = join(this.dir, `${String(firstSeq).padStart(16, '0')}${SEGMENT_SUFFIX}`);
    this.activeFd = openSync(path, 'a+');
    const segment: Segment = { firstSeq, path, size: statSync(path).size, lastSeq: -1 };
    this.segments.push(segment);
    // The new file's name must survive a crash, not only its contents.
    fsyncDir(this.dir);
    return segment;
  }

  private readPayload(entry: IndexEntry): string {
    const buffer = Buffer.alloc(entry.length);
    const fd = entry.segment === this.segments.at(-1) && this.activeFd !== undefined ? this.activeFd : openSync(entry.segment.path, 'r');
    try {
      let read = 0;
      while (read < entry.length) {
        const n = readSync(fd, buffer, read, entry.length - read, entry.offset + read);
        if (n === 0) break;
        read += n;
      }
    } finally {
      if (fd !== this.activeFd) closeSync(fd);
    }
    return buffer.toString('utf8', 0, entry.length - 1);
  }

  /** Drop-oldest: keeps the pending bytes within maxBytes, counting every reading dropped. */
  private enforceBound(): void {
    let dropped = 0;
    for (let entry = this.index[0]; entry && this.pendingBytes > this.options.maxBytes && this.index.length > 1; entry = this.index[0]) {
      this.index.shift();
      this.acked.delete(entry.seq);
      this.pendingBytes -= entry.length;
      dropped++;
    }
    if (dropped > 0) {
      this.droppedCount += dropped;
      this.moveHead(this.index[0]?.seq ?? this.next);
    }
  }

  private moveHead(seq: number): void {
    this.head = seq;
    // Segments wholly behind the head are garbage; the head must be on disk before they go.
    const obsolete = this.segments.filter((s, i) => i < this.segments.length - 1 && s.lastSeq < this.head);
    if (obsolete.length > 0) {
      this.flushHead();
      for (const segment of obsolete) {
        rmSync(segment.path, { force: true });
        this.segments.splice(this.segments.indexOf(segment), 1);
      }
      return;
    }
    if (!this.headTimer && !this.closed) {
      this.headTimer = setTimeout(() => {
        this.headTimer = undefined;
        if (!this.closed) this.flushHead();
      }, this.headFlushMs);
      this.headTimer.unref();
    }
  }

  private flushHead(): void {
    if (this.headTimer) clearTimeout(this.headTimer);
    this.headTimer = undefined;
    if (this.head === this.persistedHead) return;
    const path = join(this.dir, HEAD_FILE);
    const temp = `${path}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, `${this.head}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    fsyncDir(this.dir);
    this.persistedHead = this.head;
  }

  private load(): void {
    const headText = readOptional(join(this.dir, HEAD_FILE));
    const savedHead = headText === undefined ? FIRST_SEQ : Number.parseInt(headText, 10);
    this.head = Number.isSafeInteger(savedHead) && savedHead >= FIRST_SEQ ? savedHead : FIRST_SEQ;
    this.persistedHead = this.head;
    // Lines below the head were acknowledged before the last stop and stay until their segment goes:
    // they are read past quietly. Only a line that does not parse, or whose seq does not increase, is damage.
    let lastSeq = FIRST_SEQ - 1;
    const names = readdirSync(this.dir)
      .filter((n) => n.endsWith(SEGMENT_SUFFIX))
      .sort();
    for (const name of names) {
      const path = join(this.dir, name);
      const segment: Segment = { firstSeq: Number.parseInt(name, 10), path, size: 0, lastSeq: -1 };
      const content = readFileSync(path);
      let offset = 0;
      while (offset < content.length) {
        const end = content.indexOf(0x0a, offset);
        if (end === -1) {
          // A crash mid-append leaves a torn last line: it was never durable, so never acknowledged to anyone.
          this.options.onWarning?.(`spool ${name}: discarding a torn last line (${content.length - offset} bytes)`);
          const fd = openSync(path, 'r+');
          try {
            ftruncateSync(fd, offset);
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
          break;
        }
        const length = end - offset + 1;
        const seq = seqOf(content.toString('utf8', offset, end));
        if (seq === undefined || seq <= lastSeq) {
          this.options.onWarning?.(`spool ${name}: skipping an unreadable line at byte ${offset}`);
        } else {
          lastSeq = seq;
          segment.lastSeq = seq;
          if (seq >= this.head) {
            this.index.push({ seq, segment, offset, length });
            this.pendingBytes += length;
          }
        }
        offset = end + 1;
      }
      segment.size = offset;
      this.segments.push(segment);
    }
    this.next = Math.max(this.head, lastSeq + 1);
    this.head = this.index[0]?.seq ?? this.head;
    // Appending goes to a fresh segment: an old one may end where a torn line was cut.
    const obsolete = this.segments.filter((s) => s.lastSeq < this.head);
    for (const segment of obsolete) {
      rmSync(segment.path, { force: true });
      this.segments.splice(this.segments.indexOf(segment), 1);
    }
    this.enforceBound();
  }
}

function seqOf(line: string): number | undefined {
  try {
    const value = JSON.parse(line) as { seq?: unknown };
    return typeof value.seq === 'number' && Number.isSafeInteger(value.seq) ? value.seq : undefined;
  } catch {
    return undefined;
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function fsyncDir(dir: string): void {
  // Directory fsync makes created, renamed and deleted names durable on Linux.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the file data itself is already synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
