/**
 * A weather generator that behaves like the real thing for any city: it puts
 * climate (climate.ts), persistent regimes (regimes.ts), the daily cycle and the
 * sun (sun.ts) together into an OpenWeather current-weather object.
 *
 * Deterministic: the same seed, city and sequence of clock times give the same
 * objects. The only state is the regime chain, stepped hour by hour.
 */
import type { CurrentWeather } from '../../core/reading.js';
import type { ResolvedCity } from '../cities.js';
import { climateHints, seasonalMeanC, warmSeason, type ClimateHints } from './climate.js';
import { cloudConditionId, condition } from './conditions.js';
import { HashedRandom, PURPOSE } from './random.js';
import { initialRegime, nextRegime, type Regime, type RegimeClimate } from './regimes.js';
import { dayOfYear, isDaytime, solarHour, sunTimes } from './sun.js';

const HOUR_MS = 3_600_000;
/** Beyond this gap the chain restarts from the climate instead of stepping through every hour. */
const MAX_STEP_HOURS = 24 * 60;
const KELVIN = 273.15;
const TROPICS_LAT = 15;
const TROPICAL_WARMTH = 0.8;

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));

export class WeatherSimulator {
  private readonly random: HashedRandom;
  private readonly hints: ClimateHints;
  private hour: number | undefined;
  private regime: Regime = 'fair';

  constructor(
    readonly city: ResolvedCity,
    seed: number,
  ) {
    this.random = new HashedRandom(seed, city.slug);
    this.hints = climateHints(city);
  }

  /** The weather regime in force at `date` (advances the chain). */
  regimeAt(date: Date): Regime {
    const hour = Math.floor(date.getTime() / HOUR_MS);
    if (this.hour === undefined || hour < this.hour || hour - this.hour > MAX_STEP_HOURS) {
      this.regime = initialRegime(this.random, hour, this.regimeClimate(hour));
    } else {
      for (let h = this.hour + 1; h <= hour; h++) this.regime = nextRegime(this.regime, this.random, h, this.regimeClimate(h));
    }
    this.hour = hour;
    return this.regime;
  }

  at(date: Date): CurrentWeather {
    const { city, random, hints } = this;
    const t = date.getTime();
    const hourIndex = t / HOUR_MS;
    const dayIndex = Math.floor((t + city.timezone * 1000) / (24 * HOUR_MS));
    const regime = this.regimeAt(date);
    const doy = dayOfYear(date);
    const localSolar = solarHour(date, city.lon);
    const daytime = isDaytime(date, city.lat, city.lon);

    // Temperature: season + weather spell (days) + daily cycle damped by clouds + a little noise.
    const cloudiness = { clear: 0, fair: 0.25, cloudy: 0.55, overcast: 0.85, drizzle: 0.9, rain: 0.95, heavy: 1, storm: 0.9 }[regime];
    // Warm and cold spells swing wider away from the tropics.
    const spellScale = 0.35 + 0.65 * clamp(Math.abs(city.lat) / 40, 0, 1);
    const spell = random.smooth(PURPOSE.tempSlow, hourIndex / 72) * 4.5 * spellScale + random.smooth(PURPOSE.tempFast, hourIndex / 8) * 1.2;
    const range = hints.diurnalRangeC * (1 - 0.65 * cloudiness);
    // Warmest around 15:00 solar time, coldest near sunrise.
    const cycle = (range / 2) * Math.cos((2 * Math.PI * (localSolar - 15)) / 24);
    const wetCooling = regime === 'rain' || regime === 'heavy' || regime === 'storm' ? -1.5 : 0;
    // Rounded first, so the rain/sleet/snow decision agrees with the temperature reported.
    const tempC = round(seasonalMeanC(city, hints, doy) + spell + cycle + wetCooling + random.normal(PURPOSE.tempNoise, hourIndex * 4) * 0.3);

    // Wind: the place's mean, stronger in storms and afternoons, calmer at night.
    const regimeWind = { clear: 0.75, fair: 0.9, cloudy: 1, overcast: 1.1, drizzle: 1.05, rain: 1.3, heavy: 1.7, storm: 2.1 }[regime];
    const diurnalWind = 0.8 + 0.3 * Math.max(0, Math.cos((2 * Math.PI * (localSolar - 14)) / 24));
    const gustiness = Math.exp(random.smooth(PURPOSE.windSlow, hourIndex / 18) * 0.55);
    const windSpeed = clamp(hints.windMean * regimeWind * diurnalWind * gustiness + random.normal(PURPOSE.windNoise, hourIndex * 4) * 0.4, 0, 60);
    const windDeg = (((random.smooth(PURPOSE.windDir, hourIndex / 30) * 360 + 360) % 360) + 360) % 360;
    const gust = windSpeed * (1.3 + 0.5 * random.uniform(PURPOSE.gust, hourIndex * 4));

    // Clouds consistent with the regime.
    const cloudRange: Record<Regime, [number, number]> = {
      clear: [0, 10],
      fair: [11, 50],
      cloudy: [51, 84],
      overcast: [85, 100],
      drizzle: [75, 100],
      rain: [80, 100],
      heavy: [90, 100],
      storm: [70, 100],
    };
    const [cloudLow, cloudHigh] = cloudRange[regime];
    const clouds = Math.round(cloudLow + (cloudHigh - cloudLow) * random.uniform(PURPOSE.clouds, hourIndex));

    // Humidity: near saturation in rain, lower in clear afternoons and deserts.
    const dryness = clamp((0.8 - hints.wetness) / 0.8, 0, 0.9);
    const baseHumidity = { clear: 55, fair: 60, cloudy: 68, overcast: 78, drizzle: 92, rain: 93, heavy: 96, storm: 88 }[regime];
    const nightMoistening = 12 * Math.cos((2 * Math.PI * (localSolar - 5)) / 24);
    let humidity = clamp(baseHumidity + nightMoistening - dryness * 35 + random.signed(PURPOSE.humidity, hourIndex) * 5, 5, 100);

    // Fog and mist: calm, moist mornings on some days (radiation fog burns off by mid-morning).
    const morning = localSolar >= 4 && localSolar < 9.5;
    const calm = windSpeed < 3.2;
    // Radiation fog needs long cool nights: common in temperate valleys and ice-fog Siberia, rare in the humid tropics.
    const tropical = clamp((seasonalMeanC(city, hints, doy) - 15) / 12, 0, 0.9);
    const fogDay = random.uniform(PURPOSE.fogDay, dayIndex) < 0.14 * Math.min(hints.wetness, 1.5) * (1 - dryness) * (1 - tropical);
    const fogRegime = regime === 'clear' || regime === 'fair' || regime === 'cloudy';
    let mist: 'fog' | 'mist' | undefined;
    if (morning && fogRegime && fogDay && calm) {
      const depth = random.uniform(PURPOSE.fogDepth, dayIndex);
      mist = localSolar < 8 && depth < 0.6 ? 'fog' : 'mist';
      humidity = mist === 'fog' ? 97 + 3 * depth : 91 + 5 * depth;
    } else if ((regime === 'drizzle' || regime === 'overcast') && humidity > 93) {
      mist = 'mist';
    }

    // Pressure: high in fair weather, low in storms.
    const regimePressure = { clear: 9, fair: 5, cloudy: 1, overcast: -3, drizzle: -4, rain: -8, heavy: -13, storm: -10 }[regime];
    const pressure = Math.round(1013 + regimePressure + random.smooth(PURPOSE.pressure, hourIndex / 48) * 6);

    // Precipitation: snow when it is cold enough, otherwise rain by intensity.
    const u = random.uniform(PURPOSE.precip, hourIndex);
    const snowing = tempC <= 0.5;
    let conditionId: number;
    let rain1h: number | undefined;
    let snow1h: number | undefined;
    switch (regime) {
      case 'drizzle':
        if (snowing) [conditionId, snow1h] = [600, 0.1 + 0.3 * u];
        else [conditionId, rain1h] = [u < 0.5 ? 300 : u < 0.9 ? 301 : 302, 0.1 + 0.4 * u];
        break;
      case 'rain':
        if (snowing) [conditionId, snow1h] = [u < 0.5 ? 600 : 601, 0.3 + 1.5 * u];
        else if (tempC < 2) [conditionId, rain1h] = [u < 0.5 ? 611 : 511, 0.5 + u];
        else [conditionId, rain1h] = [u < 0.5 ? 500 : u < 0.85 ? 501 : 521, 0.5 + 3.5 * u];
        break;
      case 'heavy':
        if (snowing) [conditionId, snow1h] = [602, 2 + 4 * u];
        else [conditionId, rain1h] = [u < 0.75 ? 502 : 503, 4 + 12 * u];
        break;
      case 'storm':
        if (snowing) [conditionId, snow1h] = [602, 1.5 + 3 * u];
        else [conditionId, rain1h] = [u < 0.3 ? 200 : u < 0.6 ? 201 : u < 0.8 ? 211 : u < 0.93 ? 202 : 212, 2 + 25 * u];
        break;
      default:
        conditionId = cloudConditionId(clouds);
    }
    if (mist) conditionId = mist === 'fog' ? 741 : 701;
    // Deserts: dust when dry wind blows, haze on still afternoons.
    if (hints.dustiness > 0 && (regime === 'clear' || regime === 'fair') && !mist) {
      const d = random.uniform(PURPOSE.dust, hourIndex);
      if (windSpeed > hints.windMean * 1.3 && d < hints.dustiness * 3) conditionId = 761;
      else if (d < hints.dustiness * 0.4) conditionId = 721;
    }
    const cond = condition(conditionId);

    const visibility =
      mist === 'fog'
        ? 100 + Math.round(800 * random.uniform(PURPOSE.visibility, hourIndex))
        : mist === 'mist'
          ? 1500 + Math.round(3000 * random.uniform(PURPOSE.visibility, hourIndex))
          : conditionId === 761
            ? 1000 + Math.round(4000 * random.uniform(PURPOSE.visibility, hourIndex))
            : conditionId === 721
              ? 4000 + Math.round(4000 * random.uniform(PURPOSE.visibility, hourIndex))
              : rain1h !== undefined && rain1h > 4
                ? 2000 + Math.round(4000 * random.uniform(PURPOSE.visibility, hourIndex))
                : snow1h !== undefined
                  ? 800 + Math.round(4000 * random.uniform(PURPOSE.visibility, hourIndex))
                  : 10000;

    const sun = sunTimes(date, city.lat, city.lon);
    const tempK = tempC + KELVIN;
    return {
      coord: { lon: city.lon, lat: city.lat },
      weather: [{ id: cond.id, main: cond.main, description: cond.description, icon: `${cond.icon}${daytime ? 'd' : 'n'}` }],
      base: 'stations',
      main: {
        temp: round(tempK),
        feels_like: round(feelsLikeC(tempC, humidity, windSpeed) + KELVIN),
        temp_min: round(tempK - 0.4 - range * 0.05),
        temp_max: round(tempK + 0.4 + range * 0.05),
        pressure,
        humidity: Math.round(humidity),
        sea_level: pressure,
        grnd_level: pressure,
      },
      visibility,
      wind: { speed: round(windSpeed), deg: Math.round(windDeg) % 360, gust: round(gust) },
      clouds: { all: clouds },
      ...(rain1h !== undefined ? { rain: { '1h': round(rain1h) } } : {}),
      ...(snow1h !== undefined ? { snow: { '1h': round(snow1h) } } : {}),
      dt: Math.floor(t / 1000),
      sys: { ...(city.country ? { country: city.country } : {}), sunrise: sun.sunrise, sunset: sun.sunset },
      timezone: city.timezone,
      name: city.name,
    };
  }

  private regimeClimate(hour: number): RegimeClimate {
    const doy = dayOfYear(new Date(hour * HOUR_MS));
    // The tropics have no cold season: convection (storms) goes on all year (Singapore has thunder on
    // more than 150 days a year, in every month), so their warmth does not follow the solstices.
    const warmth = Math.abs(this.city.lat) < TROPICS_LAT ? TROPICAL_WARMTH : warmSeason(this.city, doy);
    return { wetness: this.hints.wetness, warmth, meanC: seasonalMeanC(this.city, this.hints, doy) };
  }
}

/** Apparent temperature: wind chill when cold and windy, heat index when hot and humid. */
function feelsLikeC(tempC: number, humidity: number, wind: number): number {
  if (tempC <= 10 && wind > 1.34) {
    const v = (wind * 3.6) ** 0.16;
    return 13.12 + 0.6215 * tempC - 11.37 * v + 0.3965 * tempC * v;
  }
  if (tempC >= 27) {
    const T = tempC * 1.8 + 32;
    const R = humidity;
    const hiF =
      -42.379 +
      2.04901523 * T +
      10.14333127 * R -
      0.22475541 * T * R -
      0.00683783 * T * T -
      0.05481717 * R * R +
      0.00122874 * T * T * R +
      0.00085282 * T * R * R -
      0.00000199 * T * T * R * R;
    return (hiF - 32) / 1.8;
  }
  return tempC;
}
