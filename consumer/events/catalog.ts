/**
 * The ten surreal events of kots (issue 5, "Surreal events"): what each one is
 * called, how likely it is once its weather holds, and the words the lake and
 * the alerts carry. The weather conditions live beside this table in
 * `rules.ts`; the two together are the only place events are defined.
 */

export type EventId = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export interface SurrealEvent {
  readonly id: EventId;
  readonly name: string;
  /** Probability gate: once the condition holds, the event fires when the reading's gate value is below p. */
  readonly p: number;
  /** The condition in words, as analysts read it next to the event columns. */
  readonly condition: string;
  readonly description: string;
  readonly newsflash: string;
}

/** In checking order: id 1 is tried first. */
export const EVENTS: readonly SurrealEvent[] = Object.freeze([
  {
    id: 1,
    name: 'The Cat Whisperer',
    p: 0.3,
    condition: 'temp < 273.15 K',
    description: 'Below freezing, the city’s cats start talking, and one quiet old man understands every word.',
    newsflash: 'Frost on the rooftops: a man in a cloth hat was seen asking a tabby for directions, and writing down the answer.',
  },
  {
    id: 2,
    name: 'The Two Moons Appearance',
    p: 1,
    condition: 'weather_main = Clear and 20 ≤ local hour < 22',
    description: 'On a clear evening a second moon hangs beside the first, for anyone who looks up at the right hour.',
    newsflash: 'Clear skies after dark, and residents who counted the moons twice got two different answers; both were right.',
  },
  {
    id: 3,
    name: 'The Fish Rain',
    p: 0.25,
    condition: 'weather_main = Rain, "heavy intensity rain", after more than 72 h without rain, drizzle or thunder, in a city reporting for at least 72 h',
    description: 'After a long dry spell, the first heavy rain brings down sardines and mackerel instead of water alone.',
    newsflash: 'Umbrellas up: three dry days ended in a downpour of silver fish, and the gutters are still flapping.',
  },
  {
    id: 4,
    name: 'The Living Spirit Walk',
    p: 1,
    condition: 'weather_main = Fog and 6 ≤ local hour < 9',
    description: 'In the early morning fog a living person’s spirit steps out and walks the streets without them.',
    newsflash: 'Morning fog, and a woman was seen on two streets at once; only one of her had left the house.',
  },
  {
    id: 5,
    name: 'The Oedipus Prophecy',
    p: 0.4,
    condition: 'weather_main = Thunderstorm',
    description: 'Thunder carries an old prophecy back to the one it was spoken over, however far he has run.',
    newsflash: 'Thunder over the harbour, and a boy with a heavy rucksack learns the prophecy has caught the same train.',
  },
  {
    id: 6,
    name: 'The Entrance Stone',
    p: 0.35,
    condition: 'wind_speed > 6 m/s',
    description: 'A strong wind turns a roadside stone that nobody can lift, and a door between worlds swings open.',
    newsflash: 'High winds shifted a stone no crane could move; witnesses say something came through the gap before it closed.',
  },
  {
    id: 7,
    name: 'The Timeless Library',
    p: 0.45,
    condition: '293.15 K < temp < 298.15 K and wind_speed < 3.5 m/s',
    description: 'Mild, still air settles over a small private library, and its clocks quietly agree to stop.',
    newsflash: 'Warm and windless: readers in a seaside library report that the same afternoon has now lasted three days.',
  },
  {
    id: 8,
    name: 'The Music of the Wind',
    p: 0.5,
    condition: 'wind_speed > 8 m/s',
    description: 'A gale plays an old record through the streets, a song only some of the listeners remember hearing before.',
    newsflash: 'Gale-force gusts, and a half-forgotten song from a long-gone summer is drifting over the shore from no radio at all.',
  },
  {
    id: 9,
    name: 'The Shadowless Man',
    p: 0.4,
    condition: 'weather_main = Clear and temp > 303.15 K',
    description: 'Under a hard clear sun in the heat, a man crosses the square with only half a shadow.',
    newsflash: 'Blazing sun at noon, and a man walked the whole length of the square without a shadow; he says he lent it out.',
  },
  {
    id: 10,
    name: 'The Talking Crow',
    p: 0.3,
    condition: 'weather_main = Snow',
    description: 'Snow brings a crow to the railing that speaks in the voice of someone you used to be.',
    newsflash: 'Snow in the streets, and a crow on a balcony rail gave advice nobody had asked for; most of it was good.',
  },
]);

/** The event with this id; ids are 1..10. */
export function eventById(id: EventId): SurrealEvent {
  const event = EVENTS[id - 1];
  if (event?.id !== id) throw new RangeError(`no surreal event with id ${String(id)}`);
  return event;
}
