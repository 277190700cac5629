import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { KotsError } from '../../../core/errors.js';
import { resolveCity } from '../../../agent/cities.js';
import { OpenWeatherSource, type OpenWeatherOptions } from '../../../agent/sources/openweather.js';

/** The documented example response of /data/2.5/weather (openweathermap.org/current). */
const DOCUMENTED_RESPONSE = {
  coord: { lon: 10.99, lat: 44.34 },
  weather: [{ id: 501, main: 'Rain', description: 'moderate rain', icon: '10d' }],
  base: 'stations',
  main: { temp: 298.48, feels_like: 298.74, temp_min: 297.56, temp_max: 300.05, pressure: 1015, humidity: 64, sea_level: 1015, grnd_level: 933 },
  visibility: 10000,
  wind: { speed: 0.62, deg: 349, gust: 1.18 },
  rain: { '1h': 3.16 },
  clouds: { all: 100 },
  dt: 1661870592,
  sys: { type: 2, id: 2075663, country: 'IT', sunrise: 1661834187, sunset: 1661882248 },
  timezone: 7200,
  id: 3163858,
  name: 'Zocca',
  cod: 200,
};
const INVALID_KEY = { cod: 401, message: 'Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.' };
const CITY_NOT_FOUND = { cod: '404', message: 'city not found' };
const TOO_MANY = { cod: 429, message: 'Your account is temporary blocked due to exceeding of requests limitation of your subscription type.' };

type Handler = (request: IncomingMessage, url: URL) => { status: number; body: unknown; headers?: Record<string, string>; delayMs?: number };

interface StandIn {
  baseUrl: string;
  calls: Array<{ at: number; url: URL }>;
  close(): Promise<void>;
}

async function standIn(handler: Handler): Promise<StandIn> {
  const calls: StandIn['calls'] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url!, 'http://localhost');
    calls.push({ at: Date.now(), url });
    const answer = handler(request, url);
    setTimeout(() => {
      if (response.destroyed) return;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    }, answer.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const city = resolveCity({ name: 'Takamatsu', country: 'JP', lat: 34.3428, lon: 134.0466 });
let server: StandIn | undefined;
afterEach(async () => server?.close());

function source(options: Partial<OpenWeatherOptions> & { baseUrl: string }): OpenWeatherSource {
  return new OpenWeatherSource({
    apiKey: `key-${Math.random()}`,
    city,
    query: 'coordinates',
    timeoutMs: 2000,
    callsPerMinute: () => 60_000,
    retryBaseMs: 10,
    retryMaxMs: 50,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<KotsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KotsError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('OpenWeatherSource against a local stand-in for the OpenWeather API', () => {
  it('asks /data/2.5/weather by coordinates in standard units and returns the current-weather object', async () => {
    server = await standIn(() => ({ status: 200, body: DOCUMENTED_RESPONSE }));
    const weather = await source({ baseUrl: server.baseUrl, apiKey: 'abc' }).read();
    expect(weather).toMatchObject({ weather: [{ id: 501, main: 'Rain' }], main: { temp: 298.48, humidity: 64 }, rain: { '1h': 3.16 }, name: 'Zocca' });
    const url = server.calls[0]!.url;
    expect(url.pathname).toBe('/data/2.5/weather');
    expect(Object.fromEntries(url.searchParams)).toEqual({ lat: '34.3428', lon: '134.0466', units: 'standard', appid: 'abc' });
  });

  it('asks by name and country when agent.openweatherQuery is name', async () => {
    server = await standIn(() => ({ status: 200, body: DOCUMENTED_RESPONSE }));
    await source({ baseUrl: server.baseUrl, query: 'name' }).read();
    expect(server.calls[0]!.url.searchParams.get('q')).toBe('Takamatsu,JP');
  });

  it('401: fails at once with an error naming the setting, no retries', async () => {
    server = await standIn(() => ({ status: 401, body: INVALID_KEY }));
    const error = await failure(source({ baseUrl: server.baseUrl }).read());
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('agent.openweatherApiKey');
    expect(error.message).toContain('Invalid API key');
    expect(server.calls).toHaveLength(1);
  });

  it('404: unknown city is a configuration error, no retries', async () => {
    server = await standIn(() => ({ status: 404, body: CITY_NOT_FOUND }));
    const error = await failure(source({ baseUrl: server.baseUrl, query: 'name' }).read());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('city not found');
    expect(server.calls).toHaveLength(1);
  });

  it('429 and 5xx: backs off and retries, then succeeds', async () => {
    const answers = [
      { status: 429, body: TOO_MANY },
      { status: 502, body: 'Bad Gateway' },
      { status: 503, body: '' },
      { status: 200, body: DOCUMENTED_RESPONSE },
    ];
    server = await standIn(() => answers.shift()!);
    const weather = await source({ baseUrl: server.baseUrl }).read();
    expect(weather.name).toBe('Zocca');
    expect(server.calls).toHaveLength(4);
    const gaps = server.calls.slice(1).map((c, i) => c.at - server!.calls[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(4);
  });

  it('gives up after the attempts with a skippable error when the server keeps failing', async () => {
    server = await standIn(() => ({ status: 500, body: { cod: 500, message: 'Internal error' } }));
    const error = await failure(source({ baseUrl: server.baseUrl, attempts: 3 }).read());
    expect(error.code).toBe('SOURCE_FAILED');
    expect(error.message).toContain('gave up after 3 attempts');
    expect(server.calls).toHaveLength(3);
  });

  it('times out a call that does not answer, and retries it', async () => {
    let n = 0;
    server = await standIn(() => (n++ === 0 ? { status: 200, body: DOCUMENTED_RESPONSE, delayMs: 1000 } : { status: 200, body: DOCUMENTED_RESPONSE }));
    const s = source({ baseUrl: server.baseUrl, timeoutMs: 100 });
    const weather = await s.read();
    expect(weather.name).toBe('Zocca');
    expect(server.calls).toHaveLength(2);
  });

  it('honours 429 Retry-After for every agent on the key', async () => {
    let n = 0;
    server = await standIn(() => (n++ === 0 ? { status: 429, body: TOO_MANY, headers: { 'retry-after': '1' } } : { status: 200, body: DOCUMENTED_RESPONSE }));
    const started = Date.now();
    await source({ baseUrl: server.baseUrl }).read();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('spaces the calls of all agents sharing one key to the allowed rate', async () => {
    server = await standIn(() => ({ status: 200, body: DOCUMENTED_RESPONSE }));
    const shared = { baseUrl: server.baseUrl, apiKey: `shared-${Math.random()}`, callsPerMinute: () => 600 };
    const agents = [source(shared), source(shared), source(shared)];
    await Promise.all(agents.flatMap((a) => [a.read(), a.read()]));
    const times = server.calls.map((c) => c.at).sort((a, b) => a - b);
    expect(times).toHaveLength(6);
    // 600 a minute: one call per 100 ms across the three agents (the first call also pays for the connection).
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(400); // unlimited, all six would land within a few ms
  });

  it('refuses a 200 whose body is not a current-weather object', async () => {
    server = await standIn(() => ({ status: 200, body: { main: { temp: 'hot' } } }));
    const error = await failure(source({ baseUrl: server.baseUrl, attempts: 1 }).read());
    expect(error.message).toContain('unexpected current-weather object');
  });
});
