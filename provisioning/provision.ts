/**
 * `kots fleet provision` and `rotate` / `revoke`: identities, credentials,
 * registry entries (hashes only) and delivery of each device's files.
 *
 * Order per new or rotated device, so a crash at any point is repaired by
 * running the command again: (1) the secret goes to the secret store, (2) the
 * registry gets its hash, (3) the state file records the device. A re-run reads
 * the secret back from the store and re-registers it only when the registry
 * entry is missing or does not match (a fresh hash of the same secret would
 * make the bridge cut the device off for nothing).
 */
import { KotsError, errorMessage } from '../core/errors.js';
import type { KotsConfig } from '../core/config/index.js';
import type { Logger } from '../core/log.js';
import {
  generateCredential,
  hashCredential,
  hashDeviceCredential,
  upsertDevice,
  upsertUser,
  verifyCredential,
  type RegistryInput,
} from '../bridge/registry/index.js';
import { agentBinary } from './binaries.js';
import { writeBundle } from './bundle.js';
import { deliverOverSsh, type SshOptions } from './deliver-ssh.js';
import { checkSdCard, deliverToSd, requireRootForSd } from './deliver-sd.js';
import { targetPayload, writePayload, type TargetPayload } from './payload.js';
import { deviceTree } from './device-files.js';
import { loadFleetManifest, type DeviceSpec, type FleetPlan } from './manifest.js';
import { openRegistryStore, type RegistryStore } from './registry-store.js';
import { openSecretStore, type SecretStore } from './secret-store.js';
import { lockState, readState, requireDevice, requireState, writeState, type DeviceState, type FleetState } from './state.js';
import { join, resolve } from 'node:path';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';

export type Delivery = { kind: 'out'; dir: string } | { kind: 'ssh'; address?: string; options: SshOptions } | { kind: 'sd'; path: string };

export interface ProvisionOptions {
  delivery?: Delivery;
  /** Devices that get a new credential. */
  rotate?: string[];
  /** Deliver only these devices (all are still registered). */
  only?: string[];
}

export type CredentialAction = 'new' | 'kept' | 'rotated' | 're-registered' | 'revoked';

export interface DeviceReport {
  id: string;
  city: string;
  target: string;
  credential: CredentialAction;
  delivered?: string;
  error?: string;
}

export interface ProvisionReport {
  devices: DeviceReport[];
  /** In the state, no longer in the manifest (kept registered until revoked). */
  notInManifest: string[];
  registry: string;
  bridgeSetting: string;
  secrets: string;
}

export interface FleetContext {
  config: KotsConfig;
  logger: Logger;
}

async function openStores(config: KotsConfig): Promise<{ secrets: SecretStore; registry: RegistryStore }> {
  return { secrets: await openSecretStore(config), registry: await openRegistryStore(config) };
}

async function openweatherKey(config: KotsConfig, secrets: SecretStore, needed: boolean): Promise<string | undefined> {
  const given = config.agent.openweatherApiKey;
  const stored = await secrets.get({ kind: 'openweather' });
  if (given && given !== stored) await secrets.set({ kind: 'openweather' }, given);
  const key = given ?? stored;
  if (needed && !key) {
    throw new KotsError(
      'SECRET_MISSING',
      `devices with source openweather need the OpenWeather API key: give it once as KOTS_AGENT_OPENWEATHER_API_KEY (it is then kept in ${secrets.description})`,
    );
  }
  return key;
}

/** Makes sure the operator user of `status` / `config` exists in the registry with the stored secret. */
async function ensureOperator(config: KotsConfig, secrets: SecretStore, data: RegistryInput, state: FleetState): Promise<RegistryInput> {
  const name = config.fleet.operatorUser;
  let secret = await secrets.get({ kind: 'operator' });
  const entry = (data.users ?? []).find((u) => u.name === name);
  if (secret && entry && !entry.revoked && entry.role === 'operator' && (entry.hash === state.operatorHash || (await verifyCredential(secret, entry.hash)))) {
    state.operatorHash = entry.hash;
    return data;
  }
  if (!secret) {
    secret = generateCredential();
    await secrets.set({ kind: 'operator' }, secret);
  }
  const hash = await hashCredential(secret);
  state.operatorHash = hash;
  return upsertUser(data, { name, role: 'operator', hash, revoked: false });
}

interface Issued {
  action: CredentialAction;
  hash: string;
  credential?: string;
}

async function issueCredential(
  device: DeviceSpec,
  existing: DeviceState | undefined,
  rotate: boolean,
  secrets: SecretStore,
  data: RegistryInput,
): Promise<Issued> {
  if (existing?.revoked && !rotate) return { action: 'revoked', hash: existing.hash };
  const stored = rotate ? undefined : await secrets.get({ kind: 'device', id: device.id });
  if (!stored) {
    const credential = generateCredential();
    await secrets.set({ kind: 'device', id: device.id }, credential);
    return { action: existing ? 'rotated' : 'new', hash: hashDeviceCredential(credential), credential };
  }
  const entry = (data.devices ?? []).find((d) => d.id === device.id);
  if (entry && !entry.revoked && (entry.hash === existing?.hash || (await verifyCredential(stored, entry.hash)))) {
    return { action: 'kept', hash: entry.hash, credential: stored };
  }
  return { action: existing ? 're-registered' : 'new', hash: await hashCredential(stored), credential: stored };
}

function deviceState(device: DeviceSpec, existing: DeviceState | undefined, issued: Issued, now: string): DeviceState {
  const fresh = issued.action === 'new' || issued.action === 'rotated';
  return {
    ...device,
    createdAt: existing?.createdAt ?? now,
    credentialIssuedAt: fresh || !existing ? now : existing.credentialIssuedAt,
    rotations: (existing?.rotations ?? 0) + (issued.action === 'rotated' ? 1 : 0),
    hash: issued.hash,
    revoked: issued.action === 'revoked',
    ...(issued.action === 'revoked' && existing?.revokedAt ? { revokedAt: existing.revokedAt } : {}),
    ...(existing?.remoteSettings ? { remoteSettings: existing.remoteSettings } : {}),
  };
}

/** Registers the plan's devices and delivers them; the heart of provision and rotate. */
async function provisionPlan(ctx: FleetContext, plan: FleetPlan, options: ProvisionOptions, partial: boolean): Promise<ProvisionReport> {
  const { config, logger } = ctx;
  const stateDir = config.fleet.stateDir;
  const unlock = lockState(stateDir);
  try {
    const known = readState(stateDir);
    if (known && known.name !== plan.name && Object.keys(known.devices).length > 0) {
      throw new KotsError('USAGE', `${stateDir} holds fleet "${known.name}", the manifest describes "${plan.name}": give each fleet its own fleet.stateDir`);
    }
    const state: FleetState = known ?? { version: 1, name: plan.name, broker: plan.broker, devices: {} };
    state.broker = plan.broker;
    const rotate = new Set(options.rotate ?? []);
    for (const id of rotate) if (!plan.devices.some((d) => d.id === id)) throw new KotsError('USAGE', `--rotate ${id}: no such device in the fleet`);
    for (const id of options.only ?? [])
      if (!plan.devices.some((d) => d.id === id)) throw new KotsError('USAGE', `--device ${id}: no such device in the fleet`);
    const delivery = options.delivery;
    const single = delivery?.kind === 'sd' || (delivery?.kind === 'ssh' && delivery.address);
    if (delivery && single && (options.only?.length ?? plan.devices.length) !== 1) {
      throw new KotsError(
        'USAGE',
        `${delivery.kind === 'sd' ? '--sd' : '--ssh user@host'} writes one device: name it with --device <id> (devices: ${plan.devices
          .map((d) => d.id)
          .slice(0, 10)
          .join(', ')})`,
      );
    }
    const { secrets, registry } = await openStores(config);
    const key = await openweatherKey(
      config,
      secrets,
      plan.devices.some((d) => d.source === 'openweather' && !state.devices[d.id]?.revoked),
    );

    let data = await ensureOperator(config, secrets, await registry.read(), state);
    const reports: DeviceReport[] = [];
    const credentials = new Map<string, string>();
    const now = new Date().toISOString();
    for (const device of plan.devices) {
      const existing = state.devices[device.id];
      const issued = await issueCredential(device, existing, rotate.has(device.id), secrets, data);
      if (issued.action !== 'revoked')
        data = upsertDevice(data, { id: device.id, city: device.city.slug, cityName: device.city.name, hash: issued.hash, revoked: false });
      if (issued.credential) credentials.set(device.id, issued.credential);
      state.devices[device.id] = deviceState(device, existing, issued, now);
      reports.push({ id: device.id, city: device.city.slug, target: device.target, credential: issued.action });
      if (issued.action !== 'kept') logger.info({ device: device.id, city: device.city.slug, credential: issued.action }, 'device registered');
    }
    await registry.write(data);
    writeState(stateDir, state);
    const notInManifest = partial ? [] : Object.keys(state.devices).filter((id) => !plan.devices.some((d) => d.id === id) && !state.devices[id]?.revoked);

    if (options.delivery) await deliver(ctx, plan, options, reports, credentials, key);
    return { devices: reports, notInManifest, registry: registry.description, bridgeSetting: registry.bridgeSetting, secrets: secrets.description };
  } finally {
    unlock();
  }
}

async function deliver(
  ctx: FleetContext,
  plan: FleetPlan,
  options: ProvisionOptions,
  reports: DeviceReport[],
  credentials: Map<string, string>,
  key: string | undefined,
): Promise<void> {
  const delivery = options.delivery;
  if (!delivery) return;
  const only = options.only?.length ? new Set(options.only) : undefined;
  const chosen = reports.filter((r) => (!only || only.has(r.id)) && r.credential !== 'revoked');
  if ((delivery.kind === 'sd' || (delivery.kind === 'ssh' && delivery.address)) && chosen.length !== 1) {
    const flag = delivery.kind === 'sd' ? `--sd ${delivery.path}` : `--ssh ${delivery.address}`;
    throw new KotsError(
      'USAGE',
      `${flag} writes one device, and ${chosen.length} are selected: name it with --device <id> (devices: ${chosen
        .map((r) => r.id)
        .slice(0, 10)
        .join(', ')})`,
    );
  }
  if (delivery.kind === 'sd') requireRootForSd(delivery.path);
  for (const report of reports) if (report.credential === 'revoked') report.delivered = 'skipped: revoked (re-issue with --rotate)';
  // One payload (binary + sha256) per target, shared by its devices: --out and --ssh write it once
  // under <out>/binaries (for --ssh: <stateDir>/binaries, it holds no secret).
  const payloads = new Map<string, Promise<{ payload: TargetPayload; dir?: string }>>();
  const binariesDir = delivery.kind === 'out' ? join(delivery.dir, 'binaries') : join(ctx.config.fleet.stateDir, 'binaries');
  const payloadFor = (target: DeviceSpec['target']) => {
    let made = payloads.get(target);
    if (!made) {
      made = (async () => {
        const payload = targetPayload(target, await agentBinary(target, ctx.config.fleet.agentBinaryDir));
        return { payload, ...(delivery.kind === 'sd' ? {} : { dir: writePayload(binariesDir, payload) }) };
      })();
      payloads.set(target, made);
    }
    return made;
  };
  for (const report of chosen) {
    const device = plan.devices.find((d) => d.id === report.id);
    if (!device) throw new Error(`device ${report.id} is in the report but not in the fleet plan`);
    try {
      const credential = credentials.get(device.id);
      if (!credential) throw new KotsError('SECRET_MISSING', `no credential for ${device.id} in the secret store`);
      const needsKey = device.source === 'openweather';
      // A card of the wrong CPU is refused before its binary is looked up or built.
      if (delivery.kind === 'sd') checkSdCard(delivery.path, device);
      const { payload, dir: payloadDir } = await payloadFor(device.target);
      const tree = deviceTree({ device, plan, payload: payload.name, secrets: { credential, ...(needsKey && key ? { openweatherApiKey: key } : {}) } });
      if (delivery.kind === 'out') {
        const archive = await writeBundle(delivery.dir, device.id, tree, payload);
        report.delivered = `bundle ${archive} (binary: binaries/${payload.name})`;
      } else if (delivery.kind === 'sd') {
        const layout = deliverToSd(delivery.path, device, tree, payload);
        report.delivered = `SD card ${layout.rootfs}: installed, enabled at boot`;
      } else {
        const address = delivery.address ?? device.ssh;
        if (!address) {
          report.delivered = 'skipped: no ssh address (give ssh: user@host in fleet.yaml, or --ssh user@host --device <id>)';
          continue;
        }
        // The bundle exists only in a private temporary folder while it is copied.
        const stage = mkdtempSync(join(tmpdir(), 'kots-ssh-'));
        chmodSync(stage, 0o700);
        try {
          const archive = await writeBundle(stage, device.id, tree, payload);
          if (!payloadDir) throw new Error(`the ${device.target} payload was not written for --ssh`);
          const result = await deliverOverSsh(address, archive, { dir: payloadDir, payload }, device.id, delivery.options);
          const binary = result.payload === 'copied' ? 'binary copied' : 'binary already installed';
          report.delivered = `ssh ${address}: ${result.result === 'started' ? 'installed, enabled and started' : 'installed and enabled; not started (no running systemd there)'} (${binary})`;
        } finally {
          rmSync(stage, { recursive: true, force: true });
        }
      }
      ctx.logger.info({ device: device.id, delivered: report.delivered }, 'device delivered');
    } catch (error) {
      report.error = errorMessage(error);
      ctx.logger.error({ device: device.id, err: report.error }, 'delivery failed');
    }
  }
}

export async function provisionFleet(ctx: FleetContext, manifestFile: string, options: ProvisionOptions): Promise<ProvisionReport> {
  const plan = loadFleetManifest(manifestFile);
  return provisionPlan(ctx, plan, options, false);
}

function planFromState(state: FleetState, ids: string[]): FleetPlan {
  return { name: state.name, broker: state.broker, devices: ids.map((id) => specOf(requireDevice(state, id))) };
}

function specOf(device: DeviceState): DeviceSpec {
  const { id, city, target, source, intervalMinSeconds, intervalMaxSeconds, healthIntervalSeconds, openweatherQuery, ssh } = device;
  return { id, city, target, source, intervalMinSeconds, intervalMaxSeconds, healthIntervalSeconds, openweatherQuery, ...(ssh ? { ssh } : {}) };
}

/** New credential for one device (also re-issues a revoked one); delivers it when a delivery is given. */
export async function rotateDevice(ctx: FleetContext, id: string, delivery?: Delivery): Promise<ProvisionReport> {
  const state = requireState(ctx.config.fleet.stateDir);
  return provisionPlan(ctx, planFromState(state, [id]), { rotate: [id], ...(delivery ? { delivery, only: [id] } : {}) }, true);
}

/** Marks the device revoked in the registry (the bridge cuts it off at once) and forgets its secret. */
export async function revokeDevice(ctx: FleetContext, id: string): Promise<{ registry: string }> {
  const stateDir = ctx.config.fleet.stateDir;
  const unlock = lockState(stateDir);
  try {
    const state = requireState(stateDir);
    const device = requireDevice(state, id);
    const { secrets, registry } = await openStores(ctx.config);
    const data = await registry.read();
    const entry = (data.devices ?? []).find((d) => d.id === id);
    await registry.write(upsertDevice(data, { id, city: entry?.city ?? device.city.slug, hash: entry?.hash ?? device.hash, revoked: true }));
    await secrets.delete({ kind: 'device', id });
    state.devices[id] = { ...device, revoked: true, revokedAt: new Date().toISOString() };
    writeState(stateDir, state);
    ctx.logger.info({ device: id }, 'device revoked');
    return { registry: registry.description };
  } finally {
    unlock();
  }
}

/** The absolute default output folder of bundles: <stateDir>/bundles. */
export function defaultBundleDir(config: KotsConfig): string {
  return resolve(config.fleet.stateDir, 'bundles');
}
