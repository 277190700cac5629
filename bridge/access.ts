/**
 * Who a connected client is, and what it may do (the bridge's security model,
 * see bridge/README.md):
 *
 * - device: logs in with username = password-holder's device id and client id = the same
 *   id; publishes only kots/v1/<its city>/<its id>/{weather,status,health}
 *   (retain only on status) and subscribes only to kots/v1/<its city>/<its id>/config.
 * - dashboard user: reads kots/v1/<city|+>/<device|+>/{weather,status,health}; publishes nothing.
 * - operator user: reads anything under kots/v1/ and publishes devices' `config`.
 * - without a registry (`kots up` on one machine) every client is anonymous: it may
 *   publish device topics {weather,status,health} of any device (the reading must
 *   still match its topic) and subscribe to the config of the device named by its
 *   client id, and nothing else: no other device's readings (`kots up`'s dashboard
 *   follows the embedded broker in-process). A bridge without a registry listens
 *   only on loopback unless bridge.allowAnonymous says otherwise (anonymousExposure).
 *
 * Nobody subscribes to `#`, `$SYS`, `$share` or another device's topics.
 */
import { isIP } from 'node:net';
import { MQTT_TOPIC_ROOT, parseDeviceTopic, DEVICE_ID_PATTERN, SLUG_PATTERN } from '../core/topics.js';
import { verifyCredential } from './registry/credentials.js';
import type { Registry, UserRole } from './registry/registry.js';

export type Identity =
  | { kind: 'device'; id: string; city: string | undefined; hash: string | undefined }
  | { kind: 'user'; name: string; role: UserRole; hash: string };

/** CONNACK return codes of MQTT 3.1.1 (aedes maps them to v5 reason codes). */
export const CONNACK = { badUsernameOrPassword: 4, notAuthorized: 5, identifierRejected: 2 } as const;

export type Refusal = { ok: false; code: number; reason: string; label: string };
export type Verdict = { ok: true; identity: Identity } | Refusal;

const DEVICE_PUBLISH_KINDS = new Set(['weather', 'status', 'health']);
const READ_KINDS = new Set(['weather', 'status', 'health']);

function refuse(code: number, label: string, reason: string): Refusal {
  return { ok: false, code, reason, label };
}

/** Decides a CONNECT. Without a registry every client is an anonymous device named by its client id. */
export async function authenticate(
  registry: Registry | undefined,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
): Promise<Verdict> {
  if (!registry) {
    return { ok: true, identity: { kind: 'device', id: clientId, city: undefined, hash: undefined } };
  }
  if (username === undefined || password === undefined) return refuse(CONNACK.badUsernameOrPassword, 'no_credentials', 'no username or password');
  const secret = password.toString('utf8');
  const device = registry.device(username);
  if (device) {
    // Check the password first, so an answer never tells a stranger which device ids exist.
    const matches = await verifyCredential(secret, device.hash);
    if (!matches) return refuse(CONNACK.badUsernameOrPassword, 'bad_password', `wrong password for device ${username}`);
    if (device.revoked) return refuse(CONNACK.notAuthorized, 'revoked', `device ${username} is revoked`);
    if (clientId !== device.id)
      return refuse(
        CONNACK.identifierRejected,
        'client_id_mismatch',
        `device ${username} must connect with client id "${device.id}", not "${clientId.slice(0, 80)}"`,
      );
    return { ok: true, identity: { kind: 'device', id: device.id, city: device.city, hash: device.hash } };
  }
  const user = registry.user(username);
  if (user) {
    const matches = await verifyCredential(secret, user.hash);
    if (!matches) return refuse(CONNACK.badUsernameOrPassword, 'bad_password', `wrong password for user ${username}`);
    if (user.revoked) return refuse(CONNACK.notAuthorized, 'revoked', `user ${username} is revoked`);
    // A user taking a device's client id would push that device off the broker.
    if (registry.device(clientId))
      return refuse(CONNACK.identifierRejected, 'client_id_mismatch', `user ${username} may not use device client id "${clientId}"`);
    return { ok: true, identity: { kind: 'user', name: user.name, role: user.role, hash: user.hash } };
  }
  // A device's cost (fast hash), so unknown device ids look like known ones; a flood of CONNECTs under made-up
  // names costs µs, not scrypt's ~70 ms each. (Device ids are not secret anyway: they are in topic names.)
  await verifyCredential(secret, DUMMY_HASH);
  return refuse(CONNACK.badUsernameOrPassword, 'unknown', `unknown device or user ${username.slice(0, 80)}`);
}

const DUMMY_HASH = '$hmac-sha256$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** May this identity publish to `topic` (with this retain flag)? Returns the reason when not. `parsed`: the caller's parseDeviceTopic(topic). */
export function publishDenial(identity: Identity, topic: string, retain: boolean, parsed = parseDeviceTopic(topic)): string | undefined {
  if (!parsed) return `topic ${topic.slice(0, 120)} is outside ${MQTT_TOPIC_ROOT}/<city>/<device>/<kind>`;
  if (identity.kind === 'user') {
    if (identity.role === 'operator' && parsed.kind === 'config') return undefined;
    return `user ${identity.name} (${identity.role}) may not publish to ${topic}`;
  }
  // Anonymous mode proves no identity (any client id is accepted), so binding topics to it would add no safety;
  // the reading's payload must still match its topic (checked by the forwarder).
  const anonymous = identity.hash === undefined;
  if (!anonymous && (parsed.deviceId !== identity.id || parsed.city !== identity.city)) {
    return `device ${identity.id} may publish only under ${MQTT_TOPIC_ROOT}/${identity.city ?? '<city>'}/${identity.id}/, not ${topic.slice(0, 120)}`;
  }
  if (!DEVICE_PUBLISH_KINDS.has(parsed.kind)) return `${anonymous ? 'an anonymous client' : `device ${identity.id}`} may not publish ${parsed.kind}`;
  if (retain && parsed.kind !== 'status') return `${anonymous ? 'an anonymous client' : `device ${identity.id}`} may retain only a status`;
  return undefined;
}

/** May this identity subscribe to `filter`? Returns the reason when not. */
export function subscribeDenial(identity: Identity, filter: string): string | undefined {
  if (filter.startsWith('$')) return `${filter} (system and shared subscriptions) is not available`;
  const levels = filter.split('/');
  if (`${levels[0]}/${levels[1]}` !== MQTT_TOPIC_ROOT) return `${filter.slice(0, 120)} is outside ${MQTT_TOPIC_ROOT}/`;
  if (identity.kind === 'user' && identity.role === 'operator') return undefined;
  const [city, device, kind] = [levels[2], levels[3], levels[4]];
  const exact = levels.length === 5 && !filter.includes('#');
  if (identity.kind === 'device') {
    const ownConfig =
      exact &&
      device === identity.id &&
      kind === 'config' &&
      (identity.city === undefined ? city !== undefined && city !== '+' && SLUG_PATTERN.test(city) : city === identity.city);
    if (ownConfig) return undefined;
    return `device ${identity.id} may subscribe only to ${MQTT_TOPIC_ROOT}/${identity.city ?? '<city>'}/${identity.id}/config, not ${filter.slice(0, 120)}`;
  }
  if (isReadFilter(levels, exact)) return undefined;
  return `dashboard user ${identity.name} may read only ${MQTT_TOPIC_ROOT}/+/+/{weather,status,health}, not ${filter.slice(0, 120)}`;
}

function isReadFilter(levels: string[], exact: boolean): boolean {
  const [city, device, kind] = [levels[2], levels[3], levels[4]];
  if (city === undefined || device === undefined || kind === undefined) return false;
  return exact && (city === '+' || SLUG_PATTERN.test(city)) && (device === '+' || DEVICE_ID_PATTERN.test(device)) && READ_KINDS.has(kind);
}

/** After a registry reload: is this identity still allowed to stay connected? */
export function stillValid(identity: Identity, registry: Registry | undefined): boolean {
  if (identity.hash === undefined) return true; // anonymous mode
  if (!registry) return false;
  if (identity.kind === 'device') {
    const device = registry.device(identity.id);
    return device !== undefined && !device.revoked && device.hash === identity.hash && device.city === identity.city;
  }
  const user = registry.user(identity.name);
  return user !== undefined && !user.revoked && user.hash === identity.hash && user.role === identity.role;
}

export function describeIdentity(identity: Identity): string {
  return identity.kind === 'device' ? `device ${identity.id}` : `user ${identity.name} (${identity.role})`;
}

/** Whether `host` accepts connections from this machine only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/**
 * The one-line reason a bridge must not start: no registry, on an address other
 * machines can reach, without bridge.allowAnonymous (Mosquitto 2 refuses the
 * same). undefined when it may start.
 */
export function anonymousExposure(settings: { host: string; allowAnonymous: boolean }, hasRegistry: boolean): string | undefined {
  if (hasRegistry || settings.allowAnonymous || isLoopback(settings.host)) return undefined;
  return `bridge.registryFile: the bridge would accept anonymous devices on ${settings.host}, reachable from the network; set bridge.registryFile (or bridge.registryVaultPath) to a registry made by \`kots fleet provision\`, listen on 127.0.0.1, or set bridge.allowAnonymous: true`;
}
