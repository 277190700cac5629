import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { KotsError } from '../errors.js';
import type { Lake } from './lake.js';

/** The lake in a local folder: same keys as S3, atomic writes by write-fsync-rename. */
export class LocalLake implements Lake {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new KotsError('USAGE', `lake key escapes the lake folder: ${key}`);
    return path;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    const temp = await this.writeTemp(path, body);
    await rename(temp, path);
    await syncDirectory(path);
  }

  /** A complete, fsynced copy of the body next to `path`, under a name list() skips. */
  private async writeTemp(path: string, body: Uint8Array): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(body);
      await file.sync();
    } finally {
      await file.close();
    }
    return temp;
  }

  /** link(2) fails when the name exists: an exclusive create (like O_EXCL) of a file that is already whole. */
  putIfAbsent(key: string, body: Uint8Array): Promise<string | undefined> {
    return this.linkNew(this.pathOf(key), body);
  }

  /** Writes the body aside and links it in under `path` unless that name exists; its etag, or undefined. */
  private async linkNew(path: string, body: Uint8Array): Promise<string | undefined> {
    const temp = await this.writeTemp(path, body);
    try {
      await link(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
    await syncDirectory(path);
    return etagOf(body);
  }

  /**
   * Compare-and-swap on one host: the current file is first renamed aside (only one process can
   * move a given file), checked against `etag`, and the new body linked in exclusively. Whoever
   * finds the name gone or another version there loses, and puts back what it moved.
   */
  async putIfMatch(key: string, body: Uint8Array, etag: string): Promise<string | undefined> {
    const path = this.pathOf(key);
    const aside = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      if (etagOf(await readFile(aside)) !== etag) {
        await link(aside, path).catch(() => undefined);
        return undefined;
      }
      return await this.linkNew(path, body);
    } finally {
      await rm(aside, { force: true });
    }
  }

  async getVersioned(key: string): Promise<{ body: Uint8Array; etag: string } | undefined> {
    try {
      const body = await readFile(this.pathOf(key));
      return { body, etag: etagOf(body) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** A folder has no lifecycle rule: `kots consolidate` itself removes raw files after the retention. */
  async markConsolidated(): Promise<void> {}

  async get(key: string): Promise<Uint8Array> {
    return readFile(this.pathOf(key));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const key = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || `${key}/`.startsWith(prefix)) await walk(join(dir, entry.name), key);
        } else if (key.startsWith(prefix) && !entry.name.endsWith('.tmp')) {
          keys.push(key);
        }
      }
    };
    await walk(this.root, '');
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  duckdbPath(key: string): string {
    return join(this.root, key);
  }

  describe(): string {
    return `local folder ${this.root}`;
  }
}

const etagOf = (body: Uint8Array) => createHash('sha256').update(body).digest('hex');

/** A rename or link is durable only once the directory entry is. */
async function syncDirectory(path: string): Promise<void> {
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
