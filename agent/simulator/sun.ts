/**
 * Where the sun is: enough astronomy for day/night icons, the daily
 * temperature cycle and OpenWeather's sunrise/sunset fields.
 */
const DAY_MS = 86_400_000;

export function dayOfYear(date: Date): number {
  const start = Date.UTC(date.getUTCFullYear(), 0, 1);
  return Math.floor((date.getTime() - start) / DAY_MS) + 1;
}

/** Solar declination in radians (Cooper's formula). */
function declination(doy: number): number {
  return ((23.44 * Math.PI) / 180) * Math.sin((2 * Math.PI * (284 + doy)) / 365);
}

/** Hours of daylight at a latitude on a day of the year (0 in polar night, 24 in polar day). */
export function dayLengthHours(lat: number, doy: number): number {
  const phi = (lat * Math.PI) / 180;
  const cosH = -Math.tan(phi) * Math.tan(declination(doy));
  if (cosH >= 1) return 0;
  if (cosH <= -1) return 24;
  return (2 * Math.acos(cosH) * 180) / Math.PI / 15;
}

export interface SunTimes {
  /** Unix seconds. */
  sunrise: number;
  sunset: number;
}

/** Sunrise and sunset of the local (solar) day containing `date` at longitude `lon`; solar noon is 12:00 local solar time. */
export function sunTimes(date: Date, lat: number, lon: number): SunTimes {
  const offsetMs = (lon / 15) * 3_600_000;
  const local = new Date(date.getTime() + offsetMs);
  const doy = dayOfYear(local);
  const localMidnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const solarNoonMs = localMidnight + 12 * 3_600_000 - offsetMs;
  const half = (dayLengthHours(lat, doy) / 2) * 3_600_000;
  return { sunrise: Math.floor((solarNoonMs - half) / 1000), sunset: Math.floor((solarNoonMs + half) / 1000) };
}

/** Local solar hour (0..24) at a longitude. */
export function solarHour(date: Date, lon: number): number {
  const hours = date.getUTCHours() + date.getUTCMinutes() / 60 + date.getUTCSeconds() / 3600 + lon / 15;
  return ((hours % 24) + 24) % 24;
}

export function isDaytime(date: Date, lat: number, lon: number): boolean {
  const { sunrise, sunset } = sunTimes(date, lat, lon);
  const seconds = Math.floor(date.getTime() / 1000);
  return seconds >= sunrise && seconds < sunset;
}
