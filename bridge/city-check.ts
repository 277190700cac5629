/**
 * Does a reading's city match what the registry says of its device? The city
 * name is free text the device writes and people read (alerts, Slack, the
 * dashboard), so a device must not be able to claim another city's name or
 * carry text its operator never gave it. The slug is already bound to the
 * device by the topic ACL; this checks the display name.
 *
 * - The registry entry has `cityName` (written by `kots fleet provision`): the
 *   name must be exactly that.
 * - It has none (a hand-written registry): the name must slugify to the
 *   device's city slug, or to its leading words ("Nakano" for nakano-tokyo).
 * - No registry entry (anonymous `kots up`): there is nothing to check against.
 */
import type { Reading } from '../core/reading.js';
import { slugify } from '../core/topics.js';
import type { Registry } from './registry/registry.js';

/** The reason a reading's city does not match the registry's city of its device, or undefined when it does. */
export function cityMismatch(reading: Pick<Reading, 'device_id' | 'city'>, registry: Registry | undefined): string | undefined {
  const device = registry?.device(reading.device_id);
  if (!device) return undefined;
  const name = reading.city.name;
  if (device.cityName !== undefined) {
    return name === device.cityName
      ? undefined
      : `city name ${JSON.stringify(name.slice(0, 100))} is not the registry's "${device.cityName}" for device ${device.id}`;
  }
  const slug = slugify(name);
  const matches = slug !== '' && (slug === device.city || device.city.startsWith(`${slug}-`));
  return matches ? undefined : `city name ${JSON.stringify(name.slice(0, 100))} does not name the registry's city ${device.city} of device ${device.id}`;
}
