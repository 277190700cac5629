import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../../consumer/events/index.js';

/**
 * Words that would give a rule away: weather, its measures, and times of day (issue 15). Matched
 * as word beginnings, so "rain" also catches "rainy" and "raindrop", "sun" catches "sunset".
 */
const GIVEAWAYS = [
  'temperature',
  'degree',
  'cold',
  'cool',
  'chill',
  'heat',
  'hot',
  'warm',
  'mild',
  'freez',
  'frost',
  'ice',
  'icy',
  'thaw',
  'sun',
  'shade',
  'shadow',
  'cloud',
  'overcast',
  'sky',
  'skies',
  'clear',
  'bright',
  'grey',
  'gray',
  'rain',
  'drizzle',
  'shower',
  'downpour',
  'pour',
  'water',
  'wet',
  'damp',
  'dry',
  'drought',
  'flood',
  'puddle',
  'umbrella',
  'humid',
  'fog',
  'mist',
  'haze',
  'thunder',
  'lightning',
  'storm',
  'tempest',
  'wind',
  'breez',
  'gust',
  'gale',
  'blow',
  'snow',
  'sleet',
  'hail',
  'blizzard',
  'flake',
  'still air',
  'calm',
  'weather',
  'climate',
  'season',
  'summer',
  'winter',
  'spring',
  'autumn',
  'morning',
  'evening',
  'night',
  'noon',
  'midday',
  'afternoon',
  'dawn',
  'dusk',
  'twilight',
  'midnight',
  'daylight',
  'dark',
  'o’clock',
  "o'clock",
  'hour',
  'moon',
  'stars',
  'starlit',
  'starry',
];

describe('event texts', () => {
  const texts: Array<[string, string]> = EVENTS.flatMap(
    (e): Array<[string, string]> => [
      [`${e.id} description`, e.description],
      [`${e.id} newsflash`, e.newsflash],
    ],
  );

  it.each(texts)('%s names no weather and no time of day', (_where, text) => {
    const found = GIVEAWAYS.filter((word) => new RegExp(`\\b${word}`, 'i').test(text));
    expect(found, text).toEqual([]);
  });

  it('are one line each and all different', () => {
    for (const [, text] of texts) {
      expect(text.length).toBeGreaterThan(30);
      expect(text).not.toContain('\n');
    }
    expect(new Set(texts.map(([, t]) => t)).size).toBe(texts.length);
  });

  it('the word list catches the old texts that gave the rules away', () => {
    const old = [
      'Below freezing, the city’s cats start talking',
      'Clear skies after dark',
      'three dry days ended in a downpour',
      'Mild, still air settles',
      'Snow in the streets',
      'Blazing sun at noon',
    ];
    for (const text of old)
      expect(
        GIVEAWAYS.some((word) => new RegExp(`\\b${word}`, 'i').test(text)),
        text,
      ).toBe(true);
  });
});
