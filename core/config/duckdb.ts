import { z } from 'zod';
import { secret } from './common.js';

export const duckdbSection = z
  .object({
    extensionDirectory: z
      .string()
      .optional()
      .describe('Pre-seeded DuckDB extension folder (for machines that cannot download httpfs); see lakehouse/README.md.'),
    motherduckToken: secret
      .optional()
      .describe(
        'MotherDuck access token: when set (or with `kots sql --motherduck`), the views are created in a MotherDuck database instead of a local in-memory one. Prefer KOTS_DUCKDB_MOTHERDUCK_TOKEN or Vault; it is never logged.',
      ),
    motherduckDatabase: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a database name of letters, digits and _')
      .default('kots')
      .describe('MotherDuck database (md:<name>) that holds the kots views; created when missing.'),
    threads: z.number().int().positive().optional().describe('DuckDB worker threads (default: one per core).'),
  })
  .strict();
