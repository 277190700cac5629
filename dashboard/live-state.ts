/**
 * What the dashboard knows about "now": the latest conditions per city, the
 * fleet as the status and health topics describe it, readings per minute for
 * the last hour, and the recent surreal events. Fed by the MQTT subscription,
 * the event source (Kafka or the in-process hook) and a seed from the lake;
 * every change is announced so the SSE stream can pass it on.
 *
 * Only whitelisted fields leave this module: a health message also carries
 * the agent's settings, and nothing from a device's configuration or
 * credentials is ever copied into what the page sees.
 */
import { EventEmitter } from 'node:events';
import type { SurrealAlert } from '../consumer/pipeline.js';
import type { Reading } from '../core/reading.js';

/** One line of the event feed: a surreal event as the consumer announced it. */
export type FeedEvent = SurrealAlert;

export interface CityConditions {
  observedAt: string;
  tempC: number | null;
  feelsLikeC: number | null;
  windMs: number | null;
  windDeg: number | null;
  cloudsPct: number | null;
  humidityPct: number | null;
  main: string | null;
  description: string | null;
  icon: string | null;
}

export interface CityTile {
  slug: string;
  name: string;
  country?: string;
  lat?: number;
  lon?: number;
  current?: CityConditions;
  devices: { online: number; total: number };
  readingsLastHour: number;
  latestEvent?: FeedEvent;
}

export type DeviceStatus = 'online' | 'offline' | 'unknown';

export interface DeviceRow {
  deviceId: string;
  city: string;
  status: DeviceStatus;
  /** Last message of any kind (reading, status, health) seen from the device. */
  lastSeen?: string;
  version?: string;
  spoolDepth?: number;
  spoolDropped?: number;
  lastError?: string;
}

export interface LiveSnapshot {
  now: string;
  silentAfterSeconds: number;
  cities: CityTile[];
  devices: DeviceRow[];
  events: FeedEvent[];
}

export interface LiveStateEvents {
  city: [CityTile];
  device: [DeviceRow];
  event: [FeedEvent];
}

export interface KnownCity {
  slug: string;
  name: string;
  country?: string;
  lat?: number;
  lon?: number;
}

const KELVIN = 273.15;
const FEED_SIZE = 200;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

interface CityEntry {
  info: KnownCity;
  current?: CityConditions;
  /** Readings per minute (key: minute since epoch) over the last hour. */
  perMinute: Map<number, number>;
  latestEvent?: FeedEvent;
}

export class LiveState extends EventEmitter<LiveStateEvents> {
  private readonly cities = new Map<string, CityEntry>();
  private readonly devices = new Map<string, DeviceRow>();
  private readonly feed: FeedEvent[] = [];
  private readonly feedIds = new Set<string>();

  constructor(
    private readonly silentAfterSeconds: number,
    knownCities: readonly KnownCity[] = [],
    private readonly now: () => number = Date.now,
  ) {
    super();
    for (const city of knownCities) this.cities.set(city.slug, { info: { ...city }, perMinute: new Map() });
  }

  snapshot(): LiveSnapshot {
    return {
      now: new Date(this.now()).toISOString(),
      silentAfterSeconds: this.silentAfterSeconds,
      cities: [...this.cities.keys()].sort().map((slug) => this.tile(slug)),
      devices: [...this.devices.values()].sort((a, b) => a.city.localeCompare(b.city) || a.deviceId.localeCompare(b.deviceId)),
      events: [...this.feed],
    };
  }

  /** A validated reading seen on `kots/v1/<city>/<device>/weather`. */
  addReading(reading: Reading): void {
    const w = reading.weather;
    const entry = this.city(reading.city.slug, {
      slug: reading.city.slug,
      name: reading.city.name,
      ...(w.sys?.country ? { country: w.sys.country } : {}),
      ...(w.coord ? { lat: w.coord.lat, lon: w.coord.lon } : {}),
    });
    const observed = Date.parse(reading.observed_at);
    if (!entry.current || observed >= Date.parse(entry.current.observedAt)) {
      const first = w.weather[0];
      entry.current = {
        observedAt: reading.observed_at,
        tempC: celsius(w.main.temp),
        feelsLikeC: celsius(w.main.feels_like),
        windMs: w.wind?.speed ?? null,
        windDeg: w.wind?.deg ?? null,
        cloudsPct: w.clouds?.all ?? null,
        humidityPct: w.main.humidity ?? null,
        main: first?.main ?? null,
        description: first?.description ?? null,
        icon: first?.icon ?? null,
      };
    }
    this.countReading(entry, observed, 1);
    this.touchDevice(reading.device_id, reading.city.slug, {});
    this.emit('city', this.tile(reading.city.slug));
  }

  /** The retained `online`/`offline` of `kots/v1/<city>/<device>/status`. */
  setStatus(city: string, deviceId: string, payload: string): void {
    const status: DeviceStatus = payload === 'online' ? 'online' : payload === 'offline' ? 'offline' : 'unknown';
    this.city(city);
    // A retained status may be old: it says how the device is, not that it spoke just now.
    this.touchDevice(deviceId, city, { status }, status === 'online');
    this.emit('city', this.tile(city));
  }

  /** A health message; only the fields the fleet table shows are kept. */
  setHealth(city: string, deviceId: string, health: unknown): void {
    if (typeof health !== 'object' || health === null) return;
    const h = health as { spool?: { depth?: unknown; dropped?: unknown }; versions?: { agent?: unknown }; last_error?: unknown };
    const update: Partial<DeviceRow> = {};
    if (typeof h.versions?.agent === 'string') update.version = h.versions.agent.slice(0, 40);
    if (typeof h.spool?.depth === 'number') update.spoolDepth = h.spool.depth;
    if (typeof h.spool?.dropped === 'number') update.spoolDropped = h.spool.dropped;
    if (typeof h.last_error === 'string') update.lastError = h.last_error.slice(0, 200);
    this.city(city);
    this.touchDevice(deviceId, city, update);
  }

  /** A surreal event; the same reading's event arriving twice (lake seed and live) shows once. */
  addEvent(event: FeedEvent): void {
    if (this.feedIds.has(event.readingId)) return;
    this.feedIds.add(event.readingId);
    this.feed.unshift(event);
    this.feed.sort((a, b) => b.observedAt.localeCompare(a.observedAt));
    for (const dropped of this.feed.splice(FEED_SIZE)) this.feedIds.delete(dropped.readingId);
    const entry = this.city(event.city, { slug: event.city, name: event.cityName });
    if (!entry.latestEvent || event.observedAt >= entry.latestEvent.observedAt) entry.latestEvent = event;
    this.emit('event', event);
    this.emit('city', this.tile(event.city));
  }

  /** Seeds from the lake, before live data flows: the latest reading per city and readings per minute. */
  seedCity(city: KnownCity, current: CityConditions | undefined, perMinute: ReadonlyArray<[minute: number, count: number]>): void {
    const entry = this.city(city.slug, city);
    if (current && (!entry.current || current.observedAt > entry.current.observedAt)) entry.current = current;
    for (const [minute, count] of perMinute) entry.perMinute.set(minute, (entry.perMinute.get(minute) ?? 0) + count);
  }

  private tile(slug: string): CityTile {
    const entry = this.city(slug);
    const since = Math.floor((this.now() - HOUR_MS) / MINUTE_MS);
    let readingsLastHour = 0;
    for (const [minute, count] of entry.perMinute) {
      if (minute > since) readingsLastHour += count;
      else entry.perMinute.delete(minute);
    }
    let online = 0;
    let total = 0;
    for (const device of this.devices.values()) {
      if (device.city !== slug) continue;
      total++;
      if (device.status === 'online') online++;
    }
    return {
      ...entry.info,
      ...(entry.current ? { current: entry.current } : {}),
      devices: { online, total },
      readingsLastHour,
      ...(entry.latestEvent ? { latestEvent: entry.latestEvent } : {}),
    };
  }

  private city(slug: string, info?: KnownCity): CityEntry {
    let entry = this.cities.get(slug);
    if (!entry) {
      entry = { info: { slug, name: slug }, perMinute: new Map() };
      this.cities.set(slug, entry);
    }
    // Configured names and coordinates win; a reading fills in what is missing.
    if (info) {
      if (entry.info.name === slug) entry.info.name = info.name;
      if (entry.info.country === undefined && info.country) entry.info.country = info.country;
      if (entry.info.lat === undefined && info.lat !== undefined && info.lon !== undefined) {
        entry.info.lat = info.lat;
        entry.info.lon = info.lon;
      }
    }
    return entry;
  }

  private countReading(entry: CityEntry, observedMs: number, count: number): void {
    if (!(observedMs > this.now() - HOUR_MS)) return;
    const minute = Math.floor(observedMs / MINUTE_MS);
    entry.perMinute.set(minute, (entry.perMinute.get(minute) ?? 0) + count);
  }

  private touchDevice(deviceId: string, city: string, update: Partial<DeviceRow>, seen = true): void {
    const existing = this.devices.get(deviceId);
    const row: DeviceRow = { ...(existing ?? { deviceId, city, status: 'unknown' }), ...update, city };
    if (seen) row.lastSeen = new Date(this.now()).toISOString();
    // A device that publishes is connected, whatever an old retained status said.
    if (seen && !update.status && row.status !== 'online') row.status = 'online';
    this.devices.set(deviceId, row);
    this.emit('device', row);
  }
}

function celsius(kelvin: number | undefined): number | null {
  return kelvin === undefined ? null : Math.round((kelvin - KELVIN) * 10) / 10;
}
