/**
 * The device registry: who may connect to the bridge and as what. Devices
 * carry their city (their topics live under kots/v1/<city>/<id>/); users are
 * people and dashboards with a role. Only credential hashes are stored.
 *
 * File format (YAML; the same document is stored in Vault under key `registry`):
 *
 *   version: 1
 *   devices:
 *     - { id: pi-takamatsu-1, city: takamatsu, cityName: Takamatsu, hash: "$scrypt$ln=14,r=8,p=1$...$...", revoked: false }
 *   users:
 *     - { name: grafana, role: dashboard, hash: "$scrypt$..." }
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { KotsError } from '../../core/errors.js';
import { DEVICE_ID_PATTERN, SLUG_PATTERN } from '../../core/topics.js';
import { isCredentialHash } from './credentials.js';

const credentialHash = z
  .string()
  .refine(
    isCredentialHash,
    'must be a credential hash made by hashCredential ($scrypt$ln=..,r=..,p=..$salt$hash) or hashDeviceCredential ($hmac-sha256$salt$mac)',
  );

export const deviceEntrySchema = z
  .object({
    id: z.string().regex(DEVICE_ID_PATTERN, 'must be lower-case a-z, 0-9, "_" or "-", at most 64 characters'),
    city: z.string().regex(SLUG_PATTERN, 'must be a city slug (a-z, 0-9 and "-")'),
    /** The city's display name; readings must carry exactly this name (bridge/city-check.ts). */
    cityName: z.string().min(1).max(100).optional(),
    hash: credentialHash,
    revoked: z.boolean().default(false),
  })
  .strict();

/** operator: reads every device topic and may publish `config`; dashboard: reads weather, status and health only. */
export const USER_ROLES = ['operator', 'dashboard'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const userEntrySchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._@-]+$/, 'must be letters, digits, ".", "_", "@" or "-"'),
    role: z.enum(USER_ROLES),
    hash: credentialHash,
    revoked: z.boolean().default(false),
  })
  .strict();

export const registrySchema = z
  .object({
    version: z.literal(1).default(1),
    devices: z.array(deviceEntrySchema).default([]),
    users: z.array(userEntrySchema).default([]),
  })
  .strict();

export type DeviceEntry = z.infer<typeof deviceEntrySchema>;
export type UserEntry = z.infer<typeof userEntrySchema>;
export type RegistryData = z.infer<typeof registrySchema>;
export type RegistryInput = z.input<typeof registrySchema>;

/** A validated registry, indexed for the CONNECT path. */
export class Registry {
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly users = new Map<string, UserEntry>();

  constructor(readonly data: RegistryData) {
    for (const d of data.devices) this.devices.set(d.id, d);
    for (const u of data.users) this.users.set(u.name, u);
  }

  device(id: string): DeviceEntry | undefined {
    return this.devices.get(id);
  }

  user(name: string): UserEntry | undefined {
    return this.users.get(name);
  }

  get size(): { devices: number; users: number; revoked: number } {
    return { devices: this.devices.size, users: this.users.size, revoked: this.data.devices.filter((d) => d.revoked).length };
  }
}

/** Validates registry data (already parsed from YAML/JSON); `source` names the file or Vault path in errors. */
export function parseRegistry(value: unknown, source: string): Registry {
  const result = registrySchema.safeParse(value ?? {});
  if (!result.success) {
    const problems = result.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new KotsError('CONFIG_INVALID', `device registry ${source} is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  const data = result.data;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const d of data.devices) {
    if (seen.has(d.id)) problems.push(`devices: "${d.id}" is listed twice`);
    seen.add(d.id);
  }
  const names = new Set<string>();
  for (const u of data.users) {
    if (names.has(u.name)) problems.push(`users: "${u.name}" is listed twice`);
    // A user named like a device could log in with the device's client id and push it off the broker.
    if (seen.has(u.name)) problems.push(`users: "${u.name}" is also a device id; user names and device ids must differ`);
    names.add(u.name);
  }
  if (problems.length > 0) throw new KotsError('CONFIG_INVALID', `device registry ${source} is invalid:\n  - ${problems.join('\n  - ')}`);
  return new Registry(data);
}

export function parseRegistryYaml(text: string, source: string): Registry {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new KotsError('CONFIG_INVALID', `device registry ${source} is not valid YAML: ${(error as Error).message}`);
  }
  return parseRegistry(value, source);
}

/** Reads and validates a registry file. */
export async function loadRegistry(file: string): Promise<Registry> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new KotsError('CONFIG_FILE_UNREADABLE', `bridge.registryFile: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseRegistryYaml(text, file);
}

export function registryToYaml(data: RegistryInput): string {
  const valid = parseRegistry(data, '(being written)').data;
  return `# kots device registry: credential hashes only (see bridge/README.md)\n${stringifyYaml(valid)}`;
}

/**
 * Writes a registry file atomically (temporary file + rename, mode 0600), so a
 * bridge watching it never reads half a file. Validates before writing.
 */
export async function writeRegistryFile(file: string, data: RegistryInput): Promise<void> {
  const text = registryToYaml(data);
  const temporary = join(dirname(file), `.${Date.now()}-${process.pid}.registry.tmp`);
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}

/** Adds or replaces a device (by id) in registry data; returns new data. */
export function upsertDevice(data: RegistryInput, device: z.input<typeof deviceEntrySchema>): RegistryInput {
  const devices = (data.devices ?? []).filter((d) => d.id !== device.id);
  return { ...data, devices: [...devices, device] };
}

/** Adds or replaces a user (by name) in registry data; returns new data. */
export function upsertUser(data: RegistryInput, user: z.input<typeof userEntrySchema>): RegistryInput {
  const users = (data.users ?? []).filter((u) => u.name !== user.name);
  return { ...data, users: [...users, user] };
}
