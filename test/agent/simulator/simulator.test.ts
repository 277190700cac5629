import { describe, expect, it } from 'vitest';
import { currentWeatherSchema, type CurrentWeather } from '../../../core/reading.js';
import { DEFAULT_CITIES, resolveCity } from '../../../agent/cities.js';
import { SIMULATED_WEATHER_MAINS } from '../../../agent/simulator/conditions.js';
import { WeatherSimulator } from '../../../agent/simulator/simulator.js';

const KELVIN = 273.15;
const TEN_MINUTES = 600_000;

interface Sample {
  city: string;
  at: Date;
  localHour: number;
  weather: CurrentWeather;
}

/** 30 simulated days of every default city, a reading every 10 minutes. */
function month(fromIso: string, seed = 1): Sample[] {
  const from = Date.parse(fromIso);
  const samples: Sample[] = [];
  for (const config of DEFAULT_CITIES) {
    const city = resolveCity(config);
    const simulator = new WeatherSimulator(city, seed);
    for (let t = from; t < from + 30 * 86_400_000; t += TEN_MINUTES) {
      const at = new Date(t);
      samples.push({ city: city.slug, at, localHour: new Date(t + city.timezone * 1000).getUTCHours(), weather: simulator.at(at) });
    }
  }
  return samples;
}

describe('WeatherSimulator over 30 days of the default cities', () => {
  const samples = month('2024-01-01T00:00:00Z');

  it('produces every weather_main category', () => {
    const seen = new Set(samples.map((s) => s.weather.weather[0]!.main));
    expect([...seen].sort()).toEqual([...SIMULATED_WEATHER_MAINS].sort());
  });

  it('produces freezing and >30 °C temperatures, strong winds and morning fog', () => {
    const temps = samples.map((s) => s.weather.main.temp! - KELVIN);
    expect(Math.min(...temps)).toBeLessThan(0);
    expect(Math.max(...temps)).toBeGreaterThan(30);
    expect(samples.some((s) => s.weather.wind!.speed > 8)).toBe(true);
    const morningFog = samples.filter((s) => s.weather.weather[0]!.main === 'Fog' && s.localHour >= 4 && s.localHour < 10);
    expect(morningFog.length).toBeGreaterThan(0);
    // Radiation fog burns off: none in the afternoon.
    expect(samples.filter((s) => s.weather.weather[0]!.main === 'Fog' && s.localHour >= 13 && s.localHour < 20)).toEqual([]);
  });

  it('gives objects that satisfy the reading contract and agree with themselves', () => {
    for (const { weather } of samples) {
      expect(currentWeatherSchema.safeParse(weather).success).toBe(true);
      const condition = weather.weather[0]!;
      const wet = weather.rain?.['1h'] ?? weather.snow?.['1h'];
      if (condition.main === 'Rain' || condition.main === 'Thunderstorm' || condition.main === 'Drizzle' || condition.main === 'Snow') {
        expect(wet).toBeGreaterThan(0);
        expect(weather.clouds!.all).toBeGreaterThanOrEqual(70);
      }
      // Sleet (611) falls up to 2 °C, snow below 0.5 °C.
      if (condition.main === 'Snow') expect(weather.main.temp!).toBeLessThan(KELVIN + 2);
      if (condition.main === 'Clear') expect(weather.clouds!.all).toBeLessThanOrEqual(10);
      if (condition.main === 'Fog') {
        expect(weather.visibility!).toBeLessThan(1000);
        expect(weather.main.humidity!).toBeGreaterThanOrEqual(95);
      }
      const { sunrise, sunset } = weather.sys!;
      const day = weather.dt! >= sunrise! && weather.dt! < sunset!;
      expect(condition.icon.endsWith(day ? 'd' : 'n')).toBe(true);
    }
  });

  it('keeps regimes: the weather changes category far less often than every reading', () => {
    const takamatsu = samples.filter((s) => s.city === 'takamatsu').map((s) => s.weather.weather[0]!.main);
    const changes = takamatsu.filter((main, i) => i > 0 && main !== takamatsu[i - 1]).length;
    expect(changes).toBeLessThan(takamatsu.length / 4);
  });

  it('follows the seasons and the latitude: Yakutsk January is far below Singapore January', () => {
    const mean = (slug: string) => {
      const t = samples.filter((s) => s.city === slug).map((s) => s.weather.main.temp! - KELVIN);
      return t.reduce((a, b) => a + b, 0) / t.length;
    };
    expect(mean('yakutsk')).toBeLessThan(-25);
    expect(mean('singapore')).toBeGreaterThan(24);
    expect(mean('buenos-aires')).toBeGreaterThan(mean('takamatsu') + 10); // southern summer
  });

  it('has a daily cycle: afternoons warmer than pre-dawn hours', () => {
    const cairo = samples.filter((s) => s.city === 'cairo');
    const avg = (xs: Sample[]) => xs.reduce((a, s) => a + s.weather.main.temp!, 0) / xs.length;
    expect(avg(cairo.filter((s) => s.localHour === 15))).toBeGreaterThan(avg(cairo.filter((s) => s.localHour === 5)) + 5);
  });
});

describe('WeatherSimulator determinism', () => {
  const city = resolveCity(DEFAULT_CITIES[0]!);
  const times = Array.from({ length: 200 }, (_, i) => new Date(Date.UTC(2025, 5, 1) + i * 17 * 60_000));

  it('gives the same readings for the same seed and clock', () => {
    const a = new WeatherSimulator(city, 42);
    const b = new WeatherSimulator(city, 42);
    expect(times.map((t) => a.at(t))).toEqual(times.map((t) => b.at(t)));
  });

  it('gives other readings for another seed', () => {
    const a = new WeatherSimulator(city, 42);
    const b = new WeatherSimulator(city, 43);
    expect(times.map((t) => a.at(t).main.temp)).not.toEqual(times.map((t) => b.at(t).main.temp));
  });
});
