import { z } from 'zod';

export const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9092');

export const port = z.number().int().min(0).max(65535);

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * A secret value: given inline, or as vault:<path>#<key> resolved at start.
 * The `secret` mark is what `kots config show` and the docs go by: a setting
 * is masked because its schema says so, whatever it is called.
 */
export const secret = z.string().min(1).meta({ secret: true });

/** A URL that is itself a credential (a Slack incoming webhook). */
export const secretUrl = z.url().meta({ secret: true });
