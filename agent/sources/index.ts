/** Picks the source named by `agent.source`. */
import type { KotsConfig } from '../../core/config/index.js';
import { KotsError } from '../../core/errors.js';
import type { ResolvedCity } from '../cities.js';
import type { SettingsInForce } from '../settings.js';
import type { WeatherSource } from './source.js';

export interface SourceContext {
  config: KotsConfig;
  city: ResolvedCity;
  /** Live view of the settings in force (remote settings may change them). */
  settings: () => SettingsInForce;
}

export async function createSource(context: SourceContext): Promise<WeatherSource> {
  const agent = context.config.agent;
  switch (agent.source) {
    // Loaded on demand: a device pays (in memory and start time) only for the source it uses.
    case 'simulated': {
      const { SimulatedSource } = await import('./simulated.js');
      return new SimulatedSource(context.city, agent.seed);
    }
    case 'sensors': {
      const { SensorsSource } = await import('./sensors.js');
      return new SensorsSource(context.city, agent.sysfsRoot);
    }
    case 'openweather': {
      const apiKey = agent.openweatherApiKey;
      if (!apiKey) throw new KotsError('CONFIG_INVALID', 'agent.openweatherApiKey is required by source openweather (or set KOTS_AGENT_OPENWEATHER_API_KEY)');
      if (apiKey.startsWith('vault:'))
        throw new KotsError('SECRET_MISSING', `agent.openweatherApiKey still refers to ${apiKey}: resolve Vault secrets before starting the agent`);
      const { OpenWeatherSource } = await import('./openweather.js');
      return new OpenWeatherSource({
        apiKey,
        baseUrl: agent.openweatherBaseUrl,
        city: context.city,
        query: agent.openweatherQuery,
        timeoutMs: agent.openweatherTimeoutSeconds * 1000,
        callsPerMinute: () => context.settings().openweatherCallsPerMinute,
      });
    }
  }
}
