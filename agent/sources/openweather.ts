/**
 * The OpenWeather source: `GET {base}/data/2.5/weather` (current weather,
 * standard units) for the agent's city, by coordinates or by name.
 *
 * Failures, each handled once here:
 *  - 401: the key is refused. A clear error naming the setting; the agent
 *    stops instead of hammering the API with a bad key.
 *  - 404: the city is unknown to OpenWeather: a configuration error, fatal too.
 *  - 429 and 5xx, timeouts, network errors: retried with exponential back-off
 *    and jitter (429 also honours Retry-After for every agent on the key); if
 *    all attempts fail the reading is skipped and the error reported in health.
 */
import { KotsError, errorMessage } from '../../core/errors.js';
import { currentWeatherSchema, type CurrentWeather } from '../../core/reading.js';
import { Backoff } from '../backoff.js';
import type { ResolvedCity } from '../cities.js';
import { limiterFor } from './rate-limit.js';
import type { SourceHealth, WeatherSource } from './source.js';

export interface OpenWeatherOptions {
  apiKey: string;
  baseUrl: string;
  city: ResolvedCity;
  query: 'coordinates' | 'name';
  timeoutMs: number;
  /** Read on every call: remote settings may change it. */
  callsPerMinute: () => number;
  /** Attempts per reading for retryable failures. */
  attempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export class OpenWeatherSource implements WeatherSource {
  readonly kind = 'openweather' as const;
  private calls = 0;
  private failures = 0;
  private lastProblem: string | undefined;

  constructor(private readonly options: OpenWeatherOptions) {
    if (!options.apiKey) {
      throw new KotsError('CONFIG_INVALID', 'agent.openweatherApiKey is required by source openweather (or set KOTS_AGENT_OPENWEATHER_API_KEY)');
    }
  }

  url(): URL {
    const { city, query, apiKey } = this.options;
    const url = new URL('/data/2.5/weather', this.options.baseUrl);
    if (query === 'name') url.searchParams.set('q', city.country ? `${city.name},${city.country}` : city.name);
    else {
      url.searchParams.set('lat', String(city.lat));
      url.searchParams.set('lon', String(city.lon));
    }
    url.searchParams.set('units', 'standard');
    url.searchParams.set('appid', apiKey);
    return url;
  }

  async read(): Promise<CurrentWeather> {
    const attempts = this.options.attempts ?? 4;
    const backoff = new Backoff({ minMs: this.options.retryBaseMs ?? 1000, maxMs: this.options.retryMaxMs ?? 30_000 });
    let lastError: KotsError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const weather = await this.call();
        this.lastProblem = undefined;
        return weather;
      } catch (error) {
        const failure =
          error instanceof KotsError ? error : new KotsError('SOURCE_FAILED', `OpenWeather: ${errorMessage(error)}`, { retryable: true, cause: error });
        this.failures++;
        this.lastProblem = failure.message;
        if (!failure.retryable) throw failure;
        lastError = failure;
        if (attempt < attempts) await sleep(backoff.next());
      }
    }
    throw new KotsError(
      'SOURCE_FAILED',
      `${lastError?.message ?? 'OpenWeather was not asked (attempts < 1)'} (gave up after ${attempts} attempts; the reading is skipped)`,
      { retryable: false, cause: lastError },
    );
  }

  private async call(): Promise<CurrentWeather> {
    const limiter = limiterFor(this.options.apiKey);
    await limiter.acquire(this.options.callsPerMinute());
    this.calls++;
    let response: Response;
    try {
      response = await fetch(this.url(), { signal: AbortSignal.timeout(this.options.timeoutMs), headers: { accept: 'application/json' } });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new KotsError(
        'SOURCE_FAILED',
        timedOut
          ? `OpenWeather did not answer within ${this.options.timeoutMs} ms (agent.openweatherTimeoutSeconds)`
          : `OpenWeather unreachable: ${errorMessage(error)}`,
        { retryable: true, cause: error },
      );
    }
    const text = await response.text();
    const message = apiMessage(text);
    switch (true) {
      case response.status === 200:
        return parseWeather(text);
      case response.status === 401:
        throw new KotsError('AUTH_FAILED', `OpenWeather refused the API key (agent.openweatherApiKey / KOTS_AGENT_OPENWEATHER_API_KEY): ${message}`);
      case response.status === 404:
        throw new KotsError(
          'CONFIG_INVALID',
          `OpenWeather does not know the city ${this.options.city.name} (agent.city; agent.openweatherQuery is ${this.options.query}): ${message}`,
        );
      case response.status === 429: {
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) limiter.block(Date.now() + retryAfter * 1000);
        throw new KotsError('LIMIT_EXCEEDED', `OpenWeather rate limit hit (agent.openweatherCallsPerMinute is ${this.options.callsPerMinute()}): ${message}`, {
          retryable: true,
        });
      }
      case response.status >= 500:
        throw new KotsError('SOURCE_FAILED', `OpenWeather server error ${response.status}: ${message}`, { retryable: true });
      default:
        throw new KotsError('SOURCE_FAILED', `OpenWeather answered ${response.status}: ${message}`);
    }
  }

  health(): SourceHealth {
    return { problems: this.lastProblem ? [this.lastProblem] : [], calls: this.calls, failures: this.failures };
  }

  async close(): Promise<void> {}
}

function apiMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON (a proxy's HTML error page): show its start.
  }
  return text.slice(0, 200) || '(empty body)';
}

function parseWeather(text: string): CurrentWeather {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new KotsError('SOURCE_FAILED', `OpenWeather answered 200 with a body that is not JSON: ${text.slice(0, 120)}`, { retryable: true });
  }
  const parsed = currentWeatherSchema.safeParse(body);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new KotsError('SOURCE_FAILED', `OpenWeather answered with an unexpected current-weather object: ${reason}`, { retryable: true });
  }
  return parsed.data;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
