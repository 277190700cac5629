import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskSpool } from '../../agent/spool.js';
import { tempDir } from './config.js';

const line = (seq: number, pad = 0) => JSON.stringify({ seq, data: 'x'.repeat(pad) });
/** Entries of the same size whatever their seq (up to 999). */
const fixed = (seq: number) => line(seq, 100 - String(seq).length);
const seqs = (spool: DiskSpool, from = 0) => spool.read(from, 1_000_000).map((e) => e.seq);

describe('DiskSpool', () => {
  it('numbers entries from 1, reads them in order, and removes them only when acknowledged', () => {
    const spool = DiskSpool.open(tempDir(), { maxBytes: 1 << 20 });
    spool.append((seq) => line(seq), 3);
    expect(seqs(spool)).toEqual([1, 2, 3]);
    expect(spool.read(2, 10).map((e) => JSON.parse(e.payload).seq)).toEqual([2, 3]);
    spool.ack(2); // out of order: 1 is still unacknowledged, so nothing leaves
    expect(spool.depth()).toBe(3);
    expect(seqs(spool)).toEqual([1, 3]);
    spool.ack(1);
    expect(spool.depth()).toBe(1);
    expect(spool.headSeq()).toBe(3);
    spool.close();
  });

  it('keeps unacknowledged entries and the seq counter across a reopen', () => {
    const dir = tempDir();
    const first = DiskSpool.open(dir, { maxBytes: 1 << 20 });
    first.append((seq) => line(seq), 5);
    first.ack(1);
    first.ack(2);
    first.close();
    const second = DiskSpool.open(dir, { maxBytes: 1 << 20 });
    expect(seqs(second)).toEqual([3, 4, 5]);
    expect(second.nextSeq()).toBe(6);
    second.ack(3);
    second.ack(4);
    second.ack(5);
    second.close();
    const third = DiskSpool.open(dir, { maxBytes: 1 << 20 });
    expect(third.depth()).toBe(0);
    expect(third.nextSeq()).toBe(6);
  });

  it('without a clean close (crash), re-offers acknowledged entries whose head was not yet written: at least once', () => {
    const dir = tempDir();
    const crashed = DiskSpool.open(dir, { maxBytes: 1 << 20, headFlushMs: 60_000 });
    crashed.append((seq) => line(seq), 3);
    crashed.ack(1);
    // no close(): the process died
    const reopened = DiskSpool.open(dir, { maxBytes: 1 << 20 });
    expect(seqs(reopened)).toEqual([1, 2, 3]);
    expect(reopened.nextSeq()).toBe(4);
  });

  it('discards a torn last line (a crash in the middle of an append) and goes on', () => {
    const dir = tempDir();
    const spool = DiskSpool.open(dir, { maxBytes: 1 << 20 });
    spool.append((seq) => line(seq), 2);
    spool.close();
    const segment = readdirSync(dir).find((n) => n.endsWith('.seg'))!;
    appendFileSync(join(dir, segment), '{"seq":3,"da');
    const warnings: string[] = [];
    const reopened = DiskSpool.open(dir, { maxBytes: 1 << 20, onWarning: (w) => warnings.push(w) });
    expect(seqs(reopened)).toEqual([1, 2]);
    expect(reopened.nextSeq()).toBe(3);
    expect(warnings.join()).toContain('torn last line');
    expect(readFileSync(join(dir, segment), 'utf8').endsWith('\n')).toBe(true);
    reopened.append((seq) => line(seq));
    expect(seqs(reopened)).toEqual([1, 2, 3]);
  });

  it('reopens after a clean stop without warnings about lines that were only acknowledged', () => {
    const dir = tempDir();
    const first = DiskSpool.open(dir, { maxBytes: 1 << 20 });
    first.append((seq) => line(seq), 40);
    for (let seq = 1; seq <= 30; seq++) first.ack(seq);
    first.close();
    const warnings: string[] = [];
    const second = DiskSpool.open(dir, { maxBytes: 1 << 20, onWarning: (w) => warnings.push(w) });
    expect(seqs(second)).toEqual(Array.from({ length: 10 }, (_, i) => 31 + i));
    expect(warnings).toEqual([]);
    // A damaged line among acknowledged ones is still reported, once.
    second.close();
    const segment = join(dir, readdirSync(dir).find((n) => n.endsWith('.seg'))!);
    appendFileSync(segment, `{"seq": 7, "torn\n`);
    const third = DiskSpool.open(dir, { maxBytes: 1 << 20, onWarning: (w) => warnings.push(w) });
    expect(third.depth()).toBe(10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/unreadable line/);
  });

  it('skips an unreadable line in the middle and keeps the readings around it', () => {
    const dir = tempDir();
    const spool = DiskSpool.open(dir, { maxBytes: 1 << 20 });
    spool.append((seq) => line(seq), 1);
    spool.close();
    const segment = join(dir, readdirSync(dir).find((n) => n.endsWith('.seg'))!);
    appendFileSync(segment, `not json\n${line(2)}\n`);
    const warnings: string[] = [];
    const reopened = DiskSpool.open(dir, { maxBytes: 1 << 20, onWarning: (w) => warnings.push(w) });
    expect(seqs(reopened)).toEqual([1, 2]);
    expect(seqs(reopened, 2)).toEqual([2]);
    expect(warnings).toHaveLength(1);
  });

  it('is bounded in bytes: drops the oldest entries beyond maxBytes and counts them', () => {
    const dir = tempDir();
    const entryBytes = fixed(1).length + 1;
    const spool = DiskSpool.open(dir, { maxBytes: entryBytes * 10, segmentBytes: entryBytes * 3 });
    for (let i = 0; i < 25; i++) spool.append(fixed);
    expect(spool.dropped()).toBe(15);
    expect(seqs(spool)).toEqual(Array.from({ length: 10 }, (_, i) => 16 + i));
    expect(spool.bytes()).toBeLessThanOrEqual(entryBytes * 10);
    // Files of dropped entries are deleted: the disk holds the bound plus at most one segment.
    spool.close();
    const onDisk = readdirSync(dir)
      .filter((n) => n.endsWith('.seg'))
      .reduce((sum, n) => sum + readFileSync(join(dir, n)).length, 0);
    expect(onDisk).toBeLessThanOrEqual(entryBytes * 13);
    const reopened = DiskSpool.open(dir, { maxBytes: entryBytes * 10 });
    expect(seqs(reopened)).toEqual(Array.from({ length: 10 }, (_, i) => 16 + i));
  });

  it('deletes segments once everything in them is acknowledged', () => {
    const dir = tempDir();
    const spool = DiskSpool.open(dir, { maxBytes: 1 << 20, segmentBytes: 64 });
    spool.append((seq) => line(seq, 40), 6);
    expect(readdirSync(dir).filter((n) => n.endsWith('.seg')).length).toBeGreaterThan(2);
    for (let seq = 1; seq <= 6; seq++) spool.ack(seq);
    expect(readdirSync(dir).filter((n) => n.endsWith('.seg'))).toHaveLength(1);
    spool.close();
    expect(Number(readFileSync(join(dir, 'head'), 'utf8'))).toBe(7);
  });

  it('refuses a multi-line payload (it would corrupt the line format)', () => {
    const spool = DiskSpool.open(tempDir(), { maxBytes: 1 << 20 });
    expect(() => spool.append(() => '{\n}')).toThrow(/single line/);
    expect(spool.nextSeq()).toBe(1);
  });
});
