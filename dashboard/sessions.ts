/**
 * Login sessions of the dashboard: a random token in an HttpOnly,
 * SameSite=Strict cookie, held in memory (a restart logs everyone out, which
 * is fine for a page). Failed logins are counted per client address so a
 * password cannot be guessed at scrypt speed from one place.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Login, Operator } from './operators.js';

export const SESSION_COOKIE = 'kots_session';

export interface Session {
  operator: Operator;
  /** The credential the session logged in with (OperatorDirectory.stillAllowed checks it is still the user's). */
  grant: string;
  expiresAt: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(login: Login): string {
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(token, { operator: login.operator, grant: login.grant, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  get(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const session = this.sessions.get(token);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(token);
      return undefined;
    }
    return session;
  }

  delete(token: string | undefined): void {
    if (token) this.sessions.delete(token);
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(token);
  }
}

/** Failed logins per client address in a sliding window. */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  blocked(client: string): boolean {
    return this.recent(client).length >= this.maxFailures;
  }

  failed(client: string): void {
    const list = this.recent(client);
    list.push(this.now());
    this.failures.set(client, list);
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }

  private recent(client: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(client) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(client);
    return list;
  }
}

export function readCookie(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(index + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeSeconds)}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
