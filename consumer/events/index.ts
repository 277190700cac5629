/** Surreal event detection: the one module that decides which event a reading fires. See README.md. */
export { EVENTS, eventById, type EventId, type SurrealEvent } from './catalog.js';
export {
  FISH_RAIN_WINDOW_MS,
  advanceHistory,
  detectEvent,
  gateValue,
  localHour,
  type CityHistory,
  type DetectedEvent,
} from './rules.js';
export { CityHistoryState, type CityHistorySnapshot } from './state.js';
