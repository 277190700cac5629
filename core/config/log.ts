import { z } from 'zod';
import { logLevel } from './common.js';

export const logSection = z
  .object({
    level: logLevel.default('info').describe('Log level.'),
    pretty: z.boolean().default(false).describe('Human-readable logs instead of JSON lines.'),
  })
  .strict();
