/**
 * The fleet state file (<stateDir>/fleet-state.json, mode 600, in a mode-700
 * folder): who the devices are and what they were given, never a secret. It
 * makes provisioning idempotent (an existing device keeps its identity and
 * credential) and lets rotate/revoke/status/config work without the manifest.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { KotsError } from '../core/errors.js';
import type { DeviceSpec, FleetPlan } from './manifest.js';

export interface DeviceState extends DeviceSpec {
  createdAt: string;
  credentialIssuedAt: string;
  rotations: number;
  /** The registry hash issued with the current credential (a hash, not a secret): a re-run that finds it unchanged skips the scrypt check. */
  hash: string;
  revoked: boolean;
  revokedAt?: string;
  /** The retained remote settings last published with `kots fleet config`. */
  remoteSettings?: Record<string, number>;
}

export interface FleetState {
  version: 1;
  name: string;
  broker: FleetPlan['broker'];
  devices: Record<string, DeviceState>;
  /** Registry hash of the operator user's credential (see FleetState.devices[].hash). */
  operatorHash?: string;
}

const stateSchema = z
  .object({
    version: z.literal(1),
    name: z.string(),
    broker: z.object({ url: z.string() }).passthrough(),
    devices: z.record(z.string(), z.object({ id: z.string(), hash: z.string() }).passthrough()),
  })
  .passthrough();

export const STATE_FILE = 'fleet-state.json';
const LOCK_FILE = 'fleet.lock';

/** Creates the state folder with mode 700 (and tightens it if it exists). */
export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

export function readState(dir: string): FleetState | undefined {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new KotsError(
      'CONFIG_INVALID',
      `fleet state ${file} is not valid JSON (${(error as Error).message}); restore it from a backup, it holds the device identities`,
      { cause: error },
    );
  }
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) throw new KotsError('CONFIG_INVALID', `fleet state ${file} is not a kots fleet state: ${parsed.error.issues[0]?.message}`);
  return value as FleetState;
}

/** The state, or an error telling the user to provision first. */
export function requireState(dir: string): FleetState {
  const state = readState(dir);
  if (!state) throw new KotsError('USAGE', `no fleet state in ${join(dir, STATE_FILE)}: run \`kots fleet provision fleet.yaml\` first (or set fleet.stateDir)`);
  return state;
}

/** Writes the state atomically (temporary file + rename), mode 600. */
export function writeState(dir: string, state: FleetState): void {
  ensureStateDir(dir);
  const file = join(dir, STATE_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

export function requireDevice(state: FleetState, id: string): DeviceState {
  const device = state.devices[id];
  if (!device) {
    const known = Object.keys(state.devices).sort();
    throw new KotsError('USAGE', `no device "${id}" in the fleet (known: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''})`);
  }
  return device;
}

/**
 * One fleet command at a time per state folder: two provisioning runs at once
 * could both issue a credential to the same new device. Stale locks (the
 * holder's pid is gone) are taken over.
 */
export function lockState(dir: string): () => void {
  ensureStateDir(dir);
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new KotsError(
          'USAGE',
          `another kots fleet command (pid ${holder}) is working on ${dir}; wait for it (or remove ${file} if that process is gone)`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new KotsError('USAGE', `cannot lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
