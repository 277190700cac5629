/**
 * The ten surreal events of kots: what each one is called and the words the
 * lake and the alerts carry. The conditions and gates live in `rules.ts`; the
 * two together are the only place events are defined.
 *
 * The texts name no weather and no time of day (a test checks them against a
 * word list): the original project rewrote its texts in its final rules change
 * so that the data does not give the answers away, and ours keep that spirit.
 */

export type EventId = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export const EVENT_IDS: readonly EventId[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

export interface SurrealEvent {
  readonly id: EventId;
  readonly name: string;
  readonly description: string;
  readonly newsflash: string;
}

/** In checking order: id 1 is tried first. */
export const EVENTS: readonly SurrealEvent[] = Object.freeze([
  {
    id: 1,
    name: 'The Cat Whisperer',
    description: 'An old man kneels by a fence and holds a long, polite conversation with a neighbourhood cat, who answers in full sentences.',
    newsflash: 'A local resident has started asking stray cats for directions, and by every account the cats know the way.',
  },
  {
    id: 2,
    name: 'The Two Moons Appearance',
    description: 'Passers-by stop and count twice: the city has a second pale companion overhead, and nobody can say when it arrived.',
    newsflash: 'Residents argue over how many there ought to be; the observatory declines to comment.',
  },
  {
    id: 3,
    name: 'The Fish Rain',
    description: 'Sardines and mackerel land on the pavement outside a fishmonger’s, who insists they are not his.',
    newsflash: 'Traffic halted on the ring road as hundreds of live fish covered the asphalt; no lorry reports any cargo missing.',
  },
  {
    id: 4,
    name: 'The Living Spirit Walk',
    description: 'A woman is seen in two places at once: one of her is at home, the other walks the streets looking for someone.',
    newsflash: 'Neighbours greeted a man on the bridge who, his family swears, has not left his bed all week.',
  },
  {
    id: 5,
    name: 'The Oedipus Prophecy',
    description: 'A runaway boy learns that the old prophecy about his father has followed him across the country.',
    newsflash: 'A fifteen-year-old with a heavy rucksack reports that the words spoken over his cradle have caught the same bus.',
  },
  {
    id: 6,
    name: 'The Entrance Stone',
    description: 'A round stone by the shrine turns over by itself, and for a moment a door between worlds stands open.',
    newsflash: 'Workers could not shift the shrine stone with a crane; witnesses say it rolled aside on its own and something slipped through.',
  },
  {
    id: 7,
    name: 'The Timeless Library',
    description: 'In a small private library the clocks quietly agree to stop, and the readers do not notice for days.',
    newsflash: 'Readers at a seaside library report that the same page has been turning for three days.',
  },
  {
    id: 8,
    name: 'The Music of the Wind',
    description: 'An old song that nobody has played in decades drifts through the streets from no radio at all.',
    newsflash: 'Half the town is humming a forgotten hit; no station has played it in thirty years.',
  },
  {
    id: 9,
    name: 'The Shadowless Man',
    description: 'A man walks the length of the square, and something everyone else drags along behind them is missing at his feet.',
    newsflash: 'A pedestrian says he lent part of himself to a friend and expects it back by the weekend.',
  },
  {
    id: 10,
    name: 'The Talking Crow',
    description: 'A crow lands on a balcony rail and speaks in the voice of someone you used to be.',
    newsflash: 'A crow on a lamp post gave a boy advice he had not asked for; most of it, he admits, was good.',
  },
]);

/** The event with this id; ids are 1..10. */
export function eventById(id: EventId): SurrealEvent {
  const event = EVENTS[id - 1];
  if (event?.id !== id) throw new RangeError(`no surreal event with id ${String(id)}`);
  return event;
}
