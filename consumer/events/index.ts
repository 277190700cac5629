/** Surreal event detection: the one module that decides which event a reading fires. See README.md. */
export { EVENT_IDS, EVENTS, eventById, type EventId, type SurrealEvent } from './catalog.js';
export {
  ORIGINAL_RULES,
  conditionHolds,
  detectEvent,
  factsOf,
  gateValue,
  localHour,
  type DetectedEvent,
  type Facts,
  type Rule,
  type RuleSet,
} from './rules.js';
