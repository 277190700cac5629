/** One line of words per message for `kots tail` (with --json the message itself is printed). */
import type { SurrealAlert } from '../../consumer/pipeline.js';

const clock = (iso: string | undefined) => (iso ? iso.slice(11, 19) : '--:--:--');

interface ReadingShape {
  device_id?: string;
  seq?: number;
  observed_at?: string;
  city?: { slug?: string; name?: string };
  weather?: { main?: { temp?: number }; weather?: Array<{ main?: string; description?: string }>; wind?: { speed?: number } };
}

/** "12:00:03  Takamatsu  sim-takamatsu-1 #42  21.3 °C  Clear (clear sky)  wind 3.4 m/s" */
export function readingLine(payload: string): string {
  let reading: ReadingShape;
  try {
    reading = JSON.parse(payload) as ReadingShape;
  } catch {
    return `(not JSON) ${payload.slice(0, 120)}`;
  }
  const w = reading.weather ?? {};
  const temp = typeof w.main?.temp === 'number' ? `${(w.main.temp - 273.15).toFixed(1)} °C` : '? °C';
  const sky = w.weather?.[0] ? `${w.weather[0].main ?? '?'} (${w.weather[0].description ?? ''})` : '?';
  const wind = typeof w.wind?.speed === 'number' ? `wind ${w.wind.speed.toFixed(1)} m/s` : '';
  return [
    clock(reading.observed_at),
    (reading.city?.name ?? reading.city?.slug ?? '?').padEnd(12),
    `${reading.device_id ?? '?'} #${reading.seq ?? '?'}`,
    temp,
    sky,
    wind,
  ]
    .filter(Boolean)
    .join('  ');
}

export function eventLine(alert: SurrealAlert): string {
  return `${alert.localTime.replace('T', ' ').slice(0, 16)} local  ${alert.cityName.padEnd(12)}  ${alert.eventName}: ${alert.newsflash}`;
}

/** "offset 17  from sim-cairo-1 (bridge): missing weather.main.temp  {"v":1,...}" */
export function deadLetterLine(offset: string, headers: Record<string, string>, payload: string): string {
  const from = headers['kots-device'] ? ` from ${headers['kots-device']}` : '';
  const stage = headers['kots-stage'] ? ` (${headers['kots-stage']})` : '';
  return `offset ${offset}${from}${stage}: ${headers['kots-reason'] ?? 'no reason given'}  ${payload.replace(/\s+/g, ' ').slice(0, 160)}`;
}
