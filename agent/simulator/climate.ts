/**
 * Climate of a place from its latitude and the season: zonal means of the
 * annual temperature and its seasonal swing, interpolated by latitude, with
 * the warmest month a month after the solstice. A few known cities carry hints
 * (continentality, warm ocean currents, aridity) that latitude alone cannot
 * know: Yakutsk is far colder than Reykjavik at the same latitude.
 */
import type { ResolvedCity } from '../cities.js';

export interface ClimateHints {
  /** Added to the zonal annual mean temperature (°C). */
  offsetC: number;
  /** Multiplies the seasonal swing: 0.4 oceanic … 1.9 extreme continental. */
  continentality: number;
  /** 0.2 desert … 1 temperate … 2 rainforest. */
  wetness: number;
  /** Mean wind speed (m/s). */
  windMean: number;
  /** Chance of dust or haze on dry, windy or calm days (deserts). */
  dustiness: number;
  /** Daily temperature range in clear weather (°C). */
  diurnalRangeC: number;
}

/*
 * The figures the hints are set against (monthly means of the 1991–2020 climate normals, rounded;
 * coldest / warmest month, and what matters for the events):
 * - Takamatsu, Tokyo, Kochi: Japan Meteorological Agency normals (www.data.jma.go.jp, "平年値"):
 *   about 6 / 29 °C, 5 / 27 °C and 7 / 28 °C; Kochi is the wettest (about 2,700 mm a year).
 * - Reykjavík: Icelandic Met Office (vedur.is) normals: about 0 / 11 °C, windy (mean 5–6 m/s),
 *   frost and snow from October to April.
 * - Cairo: Egyptian Meteorological Authority, WMO normals: about 14 / 28 °C, about 25 mm of rain
 *   a year, dust and haze.
 * - Singapore (Changi): Meteorological Service Singapore (weather.gov.sg, climate of Singapore):
 *   26.5–28.5 °C all year, about 2,500 mm of rain, thunderstorms on more than 150 days a year.
 * - Buenos Aires (Observatorio Central): Servicio Meteorológico Nacional normals (smn.gob.ar):
 *   about 11 / 25 °C, southern seasons.
 * - Yakutsk: Roshydromet normals (WMO): about −39 / +19.5 °C, the most continental climate of
 *   the set; dry, light snow most of the winter.
 * Zonal means by latitude (ANNUAL_MEAN, SEASONAL_SWING below): the zonal-mean surface air
 * temperature climatology as tabulated in Peixoto & Oort, "Physics of Climate" (1992), ch. 7.
 * test/agent/simulator/simulator.test.ts checks the simulated seasons against these figures.
 */
const KNOWN: Record<string, Partial<ClimateHints>> = {
  takamatsu: { continentality: 1.3, wetness: 0.9, windMean: 2.8 },
  'nakano-tokyo': { continentality: 1.2, wetness: 1.1, windMean: 3 },
  kochi: { continentality: 1.2, wetness: 1.5, windMean: 2.6 },
  reykjavik: { offsetC: 11, continentality: 0.35, wetness: 1.4, windMean: 6.5, diurnalRangeC: 4 },
  cairo: { offsetC: 2.5, continentality: 1, wetness: 0.15, windMean: 3.8, dustiness: 0.25, diurnalRangeC: 12 },
  singapore: { offsetC: 0.5, continentality: 1, wetness: 2, windMean: 2.4, diurnalRangeC: 7 },
  'buenos-aires': { offsetC: 0.8, continentality: 0.8, wetness: 1, windMean: 4 },
  yakutsk: { offsetC: -7.5, continentality: 1.9, wetness: 0.85, windMean: 2, diurnalRangeC: 9 },
};

// Zonal means (°C) by absolute latitude, every 10 degrees.
const ANNUAL_MEAN = [27, 27, 25, 20, 14, 6, -1, -10, -18, -22];
const SEASONAL_SWING = [1, 2, 4, 7, 10, 13, 16, 18, 19, 20];

function byLatitude(table: number[], lat: number): number {
  const x = Math.min(Math.abs(lat), 89.99) / 10;
  const i = Math.floor(x);
  const a = table[i];
  const b = table[Math.min(i + 1, table.length - 1)];
  if (a === undefined || b === undefined) throw new RangeError(`climate table has no row for latitude ${lat}`);
  return a + (b - a) * (x - i);
}

export function climateHints(city: ResolvedCity): ClimateHints {
  const abs = Math.abs(city.lat);
  // Wet tropics, dry subtropical belts, moist mid-latitudes.
  const wetness = abs < 12 ? 1.8 : abs < 28 ? 0.6 : 1;
  return {
    offsetC: 0,
    continentality: 1,
    wetness,
    windMean: abs > 50 ? 4.5 : 3.2,
    dustiness: 0,
    diurnalRangeC: 8,
    ...KNOWN[city.slug],
  };
}

/** Mean temperature (°C) of the day of year at this place, before weather. */
export function seasonalMeanC(city: ResolvedCity, hints: ClimateHints, doy: number): number {
  const annual = byLatitude(ANNUAL_MEAN, city.lat) + hints.offsetC;
  const swing = byLatitude(SEASONAL_SWING, city.lat) * hints.continentality;
  // Coldest around 20 January in the north, 20 July in the south.
  const phase = (2 * Math.PI * (doy - 20)) / 365.25;
  const sign = city.lat >= 0 ? 1 : -1;
  return annual - sign * swing * Math.cos(phase);
}

/** 0 in the coldest part of the year, 1 in the warmest: storms and dust follow it. */
export function warmSeason(city: ResolvedCity, doy: number): number {
  const phase = (2 * Math.PI * (doy - 20)) / 365.25;
  const sign = city.lat >= 0 ? 1 : -1;
  return (1 - sign * Math.cos(phase)) / 2;
}
