import { describe, expect, it } from 'vitest';
import { LiveState } from '../../dashboard/live-state.js';
import { parseFeedEvent } from '../../dashboard/kafka-events.js';
import { SessionStore, LoginThrottle, sessionCookie } from '../../dashboard/sessions.js';
import { parseReading } from '../../core/reading.js';
import { makeReading } from '../helpers/readings.js';

const alert = (readingId: string, observedAt: string) => ({
  readingId,
  city: 'kochi',
  cityName: 'Kochi',
  deviceId: 'dev-1',
  observedAt,
  localTime: '2026-11-25T21:00:00',
  eventId: 6,
  eventName: 'The Entrance Stone',
  newsflash: 'High winds shifted a stone no crane could move.',
});

describe('dashboard live state', () => {
  it('turns a reading into a city tile in °C and counts it in the last hour', () => {
    const state = new LiveState(120);
    const verdict = parseReading(
      JSON.stringify(makeReading({ device_id: 'dev-1', city: { slug: 'kochi', name: 'Kochi' }, observed_at: new Date().toISOString() })),
    );
    if (!verdict.ok) throw new Error(verdict.reason);
    state.addReading(verdict.reading);
    const [tile] = state.snapshot().cities;
    expect(tile).toMatchObject({ slug: 'kochi', name: 'Kochi', readingsLastHour: 1, devices: { online: 1, total: 1 } });
    expect(tile!.current!.tempC).toBeCloseTo((verdict.reading.weather.main.temp ?? 0) - 273.15, 0);
  });

  it('keeps only the fleet fields of a health message (no settings, no source details)', () => {
    const state = new LiveState(120);
    state.setStatus('kochi', 'dev-1', 'online');
    state.setHealth('kochi', 'dev-1', {
      v: 1,
      spool: { depth: 7, bytes: 900, dropped: 1 },
      versions: { agent: '0.1.0', node: '20' },
      settings: { intervalMinSeconds: 10, secretish: 'x' },
      source: { kind: 'openweather', apiKey: 'should-not-leak' },
      last_error: 'connect ECONNREFUSED',
    });
    const snapshot = JSON.stringify(state.snapshot());
    expect(state.snapshot().devices).toEqual([
      {
        deviceId: 'dev-1',
        city: 'kochi',
        status: 'online',
        lastSeen: expect.any(String),
        version: '0.1.0',
        spoolDepth: 7,
        spoolDropped: 1,
        lastError: 'connect ECONNREFUSED',
      },
    ]);
    expect(snapshot).not.toMatch(/should-not-leak|settings|secretish/);
  });

  it('shows an event once when it comes from the lake seed and live, newest first', () => {
    const state = new LiveState(120);
    const seen: string[] = [];
    state.on('event', (e) => seen.push(e.readingId));
    state.addEvent(alert('a', '2026-11-25T10:00:00.000Z'));
    state.addEvent(alert('b', '2026-11-25T11:00:00.000Z'));
    state.addEvent(alert('a', '2026-11-25T10:00:00.000Z'));
    expect(seen).toEqual(['a', 'b']);
    expect(state.snapshot().events.map((e) => e.readingId)).toEqual(['b', 'a']);
    expect(state.snapshot().cities[0]!.latestEvent!.readingId).toBe('b');
  });

  it('an offline status keeps the last time the device was seen', () => {
    let now = Date.parse('2026-11-25T10:00:00Z');
    const state = new LiveState(120, [], () => now);
    state.setStatus('kochi', 'dev-1', 'online');
    now += 60_000;
    state.setStatus('kochi', 'dev-1', 'offline');
    expect(state.snapshot().devices[0]).toMatchObject({ status: 'offline', lastSeen: '2026-11-25T10:00:00.000Z' });
    expect(state.snapshot().cities[0]!.devices).toEqual({ online: 0, total: 1 });
  });
});

describe('dashboard events from Kafka', () => {
  it("accepts the consumer's alert records and refuses anything else", () => {
    const record = alert('01a212f5-2329-774b-b4d5-d6629549d232', '2026-11-25T10:00:00.000Z');
    expect(parseFeedEvent(JSON.stringify(record))).toEqual(record);
    expect(parseFeedEvent('not json')).toBeUndefined();
    expect(parseFeedEvent(JSON.stringify({ ...record, eventId: '6' }))).toBeUndefined();
    expect(parseFeedEvent(undefined)).toBeUndefined();
  });
});

describe('dashboard sessions', () => {
  it('a session ends after its lifetime; the cookie is HttpOnly and SameSite=Strict', () => {
    let now = 0;
    const sessions = new SessionStore(1000, () => now);
    const token = sessions.create({ operator: { name: 'ops', role: 'operator' }, grant: 'hash-1' });
    expect(sessions.get(token)).toMatchObject({ operator: { name: 'ops', role: 'operator' }, grant: 'hash-1' });
    expect(sessions.get('another')).toBeUndefined();
    now = 1000;
    expect(sessions.get(token)).toBeUndefined();
    expect(sessionCookie('t', 3600, false)).toBe('kots_session=t; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600');
    expect(sessionCookie('t', 3600, true)).toMatch(/; Secure$/);
  });

  it('blocks a client address after repeated failed logins, for a while', () => {
    let now = 0;
    const throttle = new LoginThrottle(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) throttle.failed('10.0.0.1');
    expect(throttle.blocked('10.0.0.1')).toBe(true);
    expect(throttle.blocked('10.0.0.2')).toBe(false);
    now = 60_001;
    expect(throttle.blocked('10.0.0.1')).toBe(false);
  });
});
