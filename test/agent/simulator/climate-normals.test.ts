/**
 * The simulated climates stay plausible (issue 15): the mean temperature of a simulated January
 * and July of each default city is within 3.5 °C of its 1991–2020 normal (sources in
 * agent/simulator/climate.ts).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CITIES, resolveCity } from '../../../agent/cities.js';
import { WeatherSimulator } from '../../../agent/simulator/simulator.js';

/** Monthly mean °C, [January, July], rounded from the national services' normals. */
const NORMALS: Record<string, [number, number]> = {
  takamatsu: [6, 28],
  'nakano-tokyo': [5.4, 25.8],
  kochi: [6.7, 27],
  reykjavik: [0, 11],
  cairo: [14, 28],
  singapore: [26.5, 28],
  'buenos-aires': [24.5, 11],
  yakutsk: [-39, 19.5],
};

function monthlyMeanC(cityIndex: number, month: number): number {
  const city = resolveCity(DEFAULT_CITIES[cityIndex]!);
  const simulator = new WeatherSimulator(city, 1 + cityIndex);
  const from = Date.UTC(2026, month, 1);
  let sum = 0;
  let n = 0;
  for (let t = from; t < from + 31 * 86_400_000; t += 3_600_000, n++) sum += simulator.at(new Date(t)).main.temp! - 273.15;
  return sum / n;
}

describe('simulated climates against their normals', () => {
  it.each(DEFAULT_CITIES.map((c, i) => [resolveCity(c).slug, i] as const))('%s: January and July means within 3.5 °C', (slug, index) => {
    const [january, july] = NORMALS[slug]!;
    expect(Math.abs(monthlyMeanC(index, 0) - january)).toBeLessThan(3.5);
    expect(Math.abs(monthlyMeanC(index, 6) - july)).toBeLessThan(3.5);
  });
});
