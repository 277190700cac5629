import { z } from 'zod';

export const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9092');

export const port = z.number().int().min(0).max(65535);

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A secret value: given inline, or as vault:<path>#<key> resolved at start. */
export const secret = z.string().min(1);
