import { z } from 'zod';
import { logLevel } from './common.js';

export const logSection = z
  .object({
    level: logLevel.default('info').describe('Log level.'),
    format: z
      .enum(['auto', 'json', 'pretty'])
      .default('auto')
      .describe(
        'auto: on a terminal, words (and `kots up` draws its screen and writes JSON lines to log.file); otherwise JSON lines on stderr. json: always JSON lines on stderr (also `--log-format json`). pretty: always one line of words per entry.',
      ),
    file: z
      .string()
      .optional()
      .describe(
        'JSON log file of `kots up` and `kots simulate` on a terminal, whose screen shows only warnings and errors (default: <up.stateDir>/kots.log); its path is printed at start.',
      ),
    pretty: z.boolean().default(false).describe('Same as format: pretty (kept for older config files).'),
  })
  .strict();
