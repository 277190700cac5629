export { configSchema, type KotsConfig } from './schema.js';
export { loadConfig, validateConfig, ENV_ALIASES, type LoadOptions } from './load.js';
export { configLeaves, convertSettingText, envName, parseJsonSetting, type ConfigLeaf, type Converted } from './leaves.js';
export { configExample, configReference } from './reference.js';
export { citySchema, type CityConfig } from './agent.js';
export { maskSecrets } from './mask.js';
