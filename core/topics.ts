/** MQTT topic contract v1 (docs/design.md, "MQTT topics"): kots/v1/<city>/<device>/<kind>. */
export const MQTT_TOPIC_ROOT = 'kots/v1';

export const DEVICE_TOPIC_KINDS = ['weather', 'status', 'config', 'health'] as const;
export type DeviceTopicKind = (typeof DEVICE_TOPIC_KINDS)[number];

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function deviceTopic(city: string, deviceId: string, kind: DeviceTopicKind): string {
  return `${MQTT_TOPIC_ROOT}/${city}/${deviceId}/${kind}`;
}

export interface ParsedDeviceTopic {
  city: string;
  deviceId: string;
  kind: string;
}

export function parseDeviceTopic(topic: string): ParsedDeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== MQTT_TOPIC_ROOT) return undefined;
  const [, , city, deviceId, kind] = parts as [string, string, string, string, string];
  if (!SLUG_PATTERN.test(city) || !DEVICE_ID_PATTERN.test(deviceId)) return undefined;
  return { city, deviceId, kind };
}

/** Turns a display name into a city slug: "Nakano, Tokyo" -> "nakano-tokyo". */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
