/**
 * OpenWeather's weather condition codes (https://openweathermap.org/weather-conditions):
 * the `weather[]` entry of a current-weather response, with its day/night icon.
 */
export interface Condition {
  id: number;
  main: string;
  description: string;
  /** Icon without the d/n suffix. */
  icon: string;
}

const table: Condition[] = [
  { id: 200, main: 'Thunderstorm', description: 'thunderstorm with light rain', icon: '11' },
  { id: 201, main: 'Thunderstorm', description: 'thunderstorm with rain', icon: '11' },
  { id: 202, main: 'Thunderstorm', description: 'thunderstorm with heavy rain', icon: '11' },
  { id: 211, main: 'Thunderstorm', description: 'thunderstorm', icon: '11' },
  { id: 212, main: 'Thunderstorm', description: 'heavy thunderstorm', icon: '11' },
  { id: 300, main: 'Drizzle', description: 'light intensity drizzle', icon: '09' },
  { id: 301, main: 'Drizzle', description: 'drizzle', icon: '09' },
  { id: 302, main: 'Drizzle', description: 'heavy intensity drizzle', icon: '09' },
  { id: 500, main: 'Rain', description: 'light rain', icon: '10' },
  { id: 501, main: 'Rain', description: 'moderate rain', icon: '10' },
  { id: 502, main: 'Rain', description: 'heavy intensity rain', icon: '10' },
  { id: 503, main: 'Rain', description: 'very heavy rain', icon: '10' },
  { id: 511, main: 'Rain', description: 'freezing rain', icon: '13' },
  { id: 521, main: 'Rain', description: 'shower rain', icon: '09' },
  { id: 600, main: 'Snow', description: 'light snow', icon: '13' },
  { id: 601, main: 'Snow', description: 'snow', icon: '13' },
  { id: 602, main: 'Snow', description: 'heavy snow', icon: '13' },
  { id: 611, main: 'Snow', description: 'sleet', icon: '13' },
  { id: 701, main: 'Mist', description: 'mist', icon: '50' },
  { id: 721, main: 'Haze', description: 'haze', icon: '50' },
  { id: 741, main: 'Fog', description: 'fog', icon: '50' },
  { id: 761, main: 'Dust', description: 'dust', icon: '50' },
  { id: 800, main: 'Clear', description: 'clear sky', icon: '01' },
  { id: 801, main: 'Clouds', description: 'few clouds', icon: '02' },
  { id: 802, main: 'Clouds', description: 'scattered clouds', icon: '03' },
  { id: 803, main: 'Clouds', description: 'broken clouds', icon: '04' },
  { id: 804, main: 'Clouds', description: 'overcast clouds', icon: '04' },
];

const byId = new Map(table.map((c) => [c.id, c]));

export function condition(id: number): Condition {
  const found = byId.get(id);
  if (!found) throw new Error(`unknown OpenWeather condition ${id}`);
  return found;
}

/** Every `weather_main` the simulator can produce. */
export const SIMULATED_WEATHER_MAINS = [...new Set(table.map((c) => c.main))];

/** The cloud condition OpenWeather reports for a cloud cover percentage. */
export function cloudConditionId(cloudsPercent: number): number {
  if (cloudsPercent <= 10) return 800;
  if (cloudsPercent <= 25) return 801;
  if (cloudsPercent <= 50) return 802;
  if (cloudsPercent <= 84) return 803;
  return 804;
}
