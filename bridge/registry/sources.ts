/**
 * Where the registry comes from, and how the bridge learns it changed without
 * a restart: a YAML file (watched, and polled as a fallback for file systems
 * where watching is unreliable) or a Vault KV v2 secret (polled).
 * A registry that fails validation on reload is logged and ignored: the last
 * good one stays in force, so a typo never opens or closes the door to the fleet.
 */
import { watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import nodeVault from 'node-vault';
import { KotsError, errorMessage } from '../../core/errors.js';
import { parseRegistry, parseRegistryYaml, registryToYaml, type Registry, type RegistryInput } from './registry.js';

export interface RegistrySource {
  /** The file path or Vault path, for logs and errors. */
  readonly description: string;
  load(): Promise<Registry>;
  /** Calls onChange with each new valid registry; onError when a reload fails (the previous registry stays). */
  watch(onChange: (registry: Registry) => void, onError: (error: Error) => void): void;
  close(): void;
}

export class FileRegistrySource implements RegistrySource {
  private lastText: string | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly pollMs: number,
  ) {}

  get description(): string {
    return this.file;
  }

  async load(): Promise<Registry> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      throw new KotsError('CONFIG_FILE_UNREADABLE', `bridge.registryFile: cannot read ${this.file}: ${errorMessage(error)}`, { cause: error });
    }
    const registry = parseRegistryYaml(text, this.file);
    this.lastText = text;
    return registry;
  }

  watch(onChange: (registry: Registry) => void, onError: (error: Error) => void): void {
    const check = () => {
      if (this.closed) return;
      readFile(this.file, 'utf8').then(
        (text) => {
          if (this.closed || text === this.lastText) return;
          try {
            const registry = parseRegistryYaml(text, this.file);
            this.lastText = text;
            onChange(registry);
          } catch (error) {
            this.lastText = text; // report a bad file once, not on every poll
            onError(error as Error);
          }
        },
        (error: unknown) => onError(new KotsError('CONFIG_FILE_UNREADABLE', `cannot re-read ${this.file}: ${errorMessage(error)}`)),
      );
    };
    const soon = () => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(check, 30);
    };
    // Watch the folder, not the file: provisioning replaces the file by rename, which ends a watch on the old inode.
    try {
      this.watcher = watch(dirname(this.file), (_event, name) => {
        if (name === null || name === basename(this.file)) soon();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // no inotify here: the poll below still notices
    }
    watchFile(this.file, { interval: this.pollMs, persistent: false }, soon);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounce);
    this.watcher?.close();
    unwatchFile(this.file);
  }
}

export interface VaultRegistrySettings {
  address: string;
  token: string;
  /** KV v2 mount, e.g. `secret`. */
  mount: string;
  /** Path of the secret inside the mount, e.g. `kots/registry`. */
  path: string;
  namespace?: string;
  timeoutMs?: number;
}

function vaultClient(settings: VaultRegistrySettings): nodeVault.client {
  return nodeVault({
    apiVersion: 'v1',
    endpoint: settings.address,
    token: settings.token,
    ...(settings.namespace ? { namespace: settings.namespace } : {}),
    requestOptions: { timeout: settings.timeoutMs ?? 10_000 },
  });
}

function vaultReason(error: unknown): string {
  const failure = error as { response?: { statusCode?: number; body?: { errors?: string[] } } };
  const errors = failure.response?.body?.errors?.filter(Boolean);
  const status = failure.response?.statusCode;
  return `${status ? `HTTP ${status}: ` : ''}${errors?.length ? errors.join('; ') : errorMessage(error)}`;
}

/**
 * The registry in Vault KV v2: key `registry` holds the YAML document
 * (or keys `devices` and `users` hold the lists as JSON).
 */
export class VaultRegistrySource implements RegistrySource {
  private readonly client: nodeVault.client;
  private timer: NodeJS.Timeout | undefined;
  private lastVersion: string | undefined;
  private closed = false;

  constructor(
    private readonly settings: VaultRegistrySettings,
    private readonly pollMs: number,
  ) {
    this.client = vaultClient(settings);
  }

  get description(): string {
    return `vault:${this.settings.mount}/data/${this.settings.path}`;
  }

  private async fetch(): Promise<{ version: string; registry: () => Registry }> {
    let answer: { data?: { data?: Record<string, unknown> | null; metadata?: { version?: number } } };
    try {
      answer = await this.client.read(`${this.settings.mount}/data/${this.settings.path}`);
    } catch (error) {
      throw new KotsError('CONFIG_FILE_UNREADABLE', `cannot read the device registry ${this.description} at ${this.settings.address}: ${vaultReason(error)}`, {
        retryable: true,
        cause: error,
      });
    }
    const data = answer.data?.data ?? {};
    const version = `${answer.data?.metadata?.version ?? ''}:${JSON.stringify(data)}`;
    return {
      version,
      registry: () => {
        if (typeof data.registry === 'string') return parseRegistryYaml(data.registry, this.description);
        const parse = (v: unknown): unknown => {
          if (typeof v !== 'string') return v;
          const parsed: unknown = JSON.parse(v);
          return parsed;
        };
        return parseRegistry({ devices: parse(data.devices), users: parse(data.users) }, this.description);
      },
    };
  }

  async load(): Promise<Registry> {
    const { version, registry } = await this.fetch();
    const parsed = registry();
    this.lastVersion = version;
    return parsed;
  }

  watch(onChange: (registry: Registry) => void, onError: (error: Error) => void): void {
    const poll = async () => {
      if (this.closed) return;
      try {
        const { version, registry } = await this.fetch();
        if (version !== this.lastVersion) {
          this.lastVersion = version;
          onChange(registry());
        }
      } catch (error) {
        onError(error as Error);
      } finally {
        if (!this.closed) this.timer = setTimeout(poll, this.pollMs);
      }
    };
    this.timer = setTimeout(poll, this.pollMs);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}

/** Stores a registry in Vault KV v2 (key `registry`, YAML), for fleet provisioning. */
export async function writeRegistryToVault(settings: VaultRegistrySettings, data: RegistryInput): Promise<void> {
  const client = vaultClient(settings);
  try {
    await client.write(`${settings.mount}/data/${settings.path}`, { data: { registry: registryToYaml(data) } });
  } catch (error) {
    const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
    throw new KotsError(
      status === 403 ? 'NOT_AUTHORIZED' : 'CONFIG_FILE_UNREADABLE',
      `cannot write the device registry to ${settings.mount}/data/${settings.path} at ${settings.address}: ${vaultReason(error)}`,
      { retryable: status !== 403, cause: error },
    );
  }
}
