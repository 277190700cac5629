/**
 * The dashboard's HTTP side, on node:http alone: a handful of routes do not
 * need a framework, and every header (cookie flags, CSP, no-store) stays in
 * plain view here.
 *
 *   GET  /                      the page (public/index.html; it logs in first)
 *   GET  /static/*, /vendor/*   the page's script and style, uPlot from node_modules
 *   GET  /healthz               liveness, no login
 *   POST /api/login             {username, password} -> session cookie
 *   POST /api/logout
 *   GET  /api/session           who is logged in (401 when nobody)
 *   GET  /api/snapshot          cities, fleet, recent events            (login)
 *   GET  /api/stream            server-sent events: city, device, event (login)
 *   GET  /api/history?city=&period=   series of one city from the lake  (login)
 *   GET  /api/heatmap?period=         city x event counts from the lake (login)
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { EVENTS } from '../consumer/events/catalog.js';
import { errorMessage } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';
import { isPeriod, PERIODS, type LakeHistory } from './history.js';
import type { LiveState } from './live-state.js';
import type { Operator, OperatorDirectory } from './operators.js';
import { clearedSessionCookie, LoginThrottle, readCookie, SESSION_COOKIE, sessionCookie, SessionStore } from './sessions.js';

const PUBLIC_DIR = join(packageRoot(), 'dashboard', 'public');
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

/** Files the page may load, by URL path; nothing else on disk is reachable. */
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/static/app.js': { file: join(PUBLIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/static/app.css': { file: join(PUBLIC_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  '/static/icons.js': { file: join(PUBLIC_DIR, 'icons.js'), type: 'text/javascript; charset=utf-8' },
  '/favicon.svg': { file: join(PUBLIC_DIR, 'favicon.svg'), type: 'image/svg+xml' },
  '/vendor/uPlot.iife.min.js': { file: join(UPLOT_DIR, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.min.css': { file: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const MAX_LOGIN_BODY = 4096;
const SSE_PING_MS = 15_000;
/** How often open event streams are checked against their sessions and the registry: a revoked user's stream ends within this. */
const STREAM_RECHECK_MS = 1_000;

export interface DashboardServerOptions {
  state: LiveState;
  history: LakeHistory;
  operators: OperatorDirectory;
  sessionHours: number;
  secureCookie: boolean;
  logger: Logger;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createDashboardServer(options: DashboardServerOptions): { server: Server; closeStreams(): void } {
  const { state, history, operators, logger } = options;
  const sessions = new SessionStore(options.sessionHours * 3_600_000);
  const throttle = new LoginThrottle();
  /** Open event streams and the session token each was opened with. */
  const streams = new Map<ServerResponse, string | undefined>();
  const staticCache = new Map<string, Buffer>();

  /** The session's operator while the session lasts and the registry still grants it; ends the session otherwise. */
  const operatorOfToken = (token: string | undefined): Operator | undefined => {
    const session = sessions.get(token);
    if (session && !operators.stillAllowed(session.operator.name, session.grant)) {
      sessions.delete(token);
      logger.info({ user: session.operator.name }, 'dashboard session ended: the user was revoked, demoted, removed or given a new password');
      return undefined;
    }
    return session?.operator;
  };
  const operatorOf = (request: IncomingMessage): Operator | undefined => operatorOfToken(readCookie(request, SESSION_COOKIE));

  // An open stream is a session in use: it ends as soon as its session does (logout, expiry, registry change).
  const recheck = setInterval(() => {
    for (const [stream, token] of streams) if (!operatorOfToken(token)) stream.end();
  }, STREAM_RECHECK_MS);
  recheck.unref();

  const requireLogin = (request: IncomingMessage): Operator => {
    const operator = operatorOf(request);
    if (!operator) throw new HttpError(401, 'log in first');
    return operator;
  };

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    const method = request.method ?? 'GET';

    if (method === 'GET' && path === '/healthz') return send(response, 200, 'ok\n', 'text/plain; charset=utf-8');
    const asset = STATIC_FILES[path];
    if (asset && (method === 'GET' || method === 'HEAD')) {
      let body = staticCache.get(asset.file);
      if (!body) {
        body = await readFile(asset.file);
        staticCache.set(asset.file, body);
      }
      return send(response, 200, body, asset.type, { 'Cache-Control': path === '/' ? 'no-store' : 'no-cache' });
    }

    if (path === '/api/login' && method === 'POST') return login(request, response);
    if (path === '/login' && method === 'GET') return loginLink(request, response, url.searchParams.get('token') ?? '');
    if (path === '/api/logout' && method === 'POST') {
      sessions.delete(readCookie(request, SESSION_COOKIE));
      response.setHeader('Set-Cookie', clearedSessionCookie(options.secureCookie));
      return json(response, 200, { ok: true });
    }
    if (method !== 'GET') throw new HttpError(path.startsWith('/api/') ? 405 : 404, 'not found');

    switch (path) {
      case '/api/session':
        return json(response, 200, { user: requireLogin(request) });
      case '/api/snapshot':
        requireLogin(request);
        return json(response, 200, { ...state.snapshot(), eventNames: EVENTS.map((e) => e.name), periods: Object.keys(PERIODS) });
      case '/api/stream':
        requireLogin(request);
        return openStream(request, response, readCookie(request, SESSION_COOKIE));
      case '/api/history': {
        requireLogin(request);
        const city = url.searchParams.get('city') ?? '';
        const period = url.searchParams.get('period') ?? '1h';
        if (!/^[a-z0-9-]{1,64}$/.test(city)) throw new HttpError(400, 'city: expected a city slug');
        if (!isPeriod(period)) throw new HttpError(400, `period: expected one of ${Object.keys(PERIODS).join(', ')}`);
        return json(response, 200, await history.series(city, period));
      }
      case '/api/heatmap': {
        requireLogin(request);
        const period = url.searchParams.get('period') ?? '24h';
        if (!isPeriod(period)) throw new HttpError(400, `period: expected one of ${Object.keys(PERIODS).join(', ')}`);
        return json(response, 200, await history.heatmap(period));
      }
      default:
        throw new HttpError(404, 'not found');
    }
  }

  async function login(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // A JSON body cannot be sent by a plain cross-site form, which closes login CSRF.
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'send JSON: {"username": ..., "password": ...}');
    const client = request.socket.remoteAddress ?? 'unknown';
    if (throttle.blocked(client)) throw new HttpError(429, 'too many failed logins; wait a few minutes');
    const body = await readBody(request, MAX_LOGIN_BODY);
    let username: unknown;
    let password: unknown;
    try {
      ({ username, password } = JSON.parse(body) as { username?: unknown; password?: unknown });
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    if (typeof username !== 'string' || typeof password !== 'string' || username.length > 64 || password.length > 1024) {
      throw new HttpError(400, 'expected {"username": string, "password": string}');
    }
    const granted = await operators.verify(username, password);
    if (!granted) {
      throttle.failed(client);
      logger.warn({ user: username.slice(0, 64), client }, 'dashboard login refused');
      throw new HttpError(401, 'wrong user name or password');
    }
    throttle.succeeded(client);
    const { operator } = granted;
    const token = sessions.create(granted);
    response.setHeader('Set-Cookie', sessionCookie(token, options.sessionHours * 3600, options.secureCookie));
    logger.info({ user: operator.name, client }, 'dashboard login');
    return json(response, 200, { user: operator });
  }

  /** A one-time login link (`kots up` prints it): a session cookie, then the page, without the token in the address bar. */
  function loginLink(request: IncomingMessage, response: ServerResponse, token: string): void {
    const client = request.socket.remoteAddress ?? 'unknown';
    if (throttle.blocked(client)) throw new HttpError(429, 'too many failed logins; wait a few minutes');
    const granted = token ? operators.redeemLoginLink?.(token) : undefined;
    if (!granted) {
      throttle.failed(client);
      logger.warn({ client }, 'dashboard login link refused (unknown or used already)');
      send(
        response,
        401,
        'This login link is not valid (each link works once). Log in at / with a registry user, or restart `kots up` for a new link.\n',
        'text/plain; charset=utf-8',
      );
      return;
    }
    throttle.succeeded(client);
    const session = sessions.create(granted);
    response.setHeader('Set-Cookie', sessionCookie(session, options.sessionHours * 3600, options.secureCookie));
    logger.info({ user: granted.operator.name, client }, 'dashboard login by one-time link');
    response.writeHead(303, { ...SECURITY_HEADERS, Location: '/', 'Cache-Control': 'no-store' });
    response.end();
  }

  function openStream(request: IncomingMessage, response: ServerResponse, token: string | undefined): void {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const write = (event: string, data: unknown) => response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    write('hello', { at: new Date().toISOString() });
    const onCity = (tile: unknown) => write('city', tile);
    const onDevice = (row: unknown) => write('device', row);
    const onEvent = (event: unknown) => write('event', event);
    state.on('city', onCity);
    state.on('device', onDevice);
    state.on('event', onEvent);
    const ping = setInterval(() => response.write(': ping\n\n'), SSE_PING_MS);
    streams.set(response, token);
    const end = () => {
      clearInterval(ping);
      state.off('city', onCity);
      state.off('device', onDevice);
      state.off('event', onEvent);
      streams.delete(response);
    };
    request.on('close', end);
    response.on('close', end);
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy();
      if (error instanceof HttpError) return json(response, error.status, { error: error.message });
      logger.error({ url: request.url, err: errorMessage(error) }, 'dashboard request failed');
      json(response, 500, { error: 'internal error; see the dashboard log' });
    });
  });
  return {
    server,
    closeStreams() {
      clearInterval(recheck);
      for (const stream of streams.keys()) stream.end();
      streams.clear();
    },
  };
}

function send(response: ServerResponse, status: number, body: string | Buffer, type: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  response.end(body);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value), 'application/json; charset=utf-8', { 'Cache-Control': 'no-store' });
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, 'body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
