import { z } from 'zod';

export const consolidateSection = z
  .object({
    rawRetentionHours: z
      .number()
      .min(0)
      .default(48)
      .describe(
        'Hours after the end of a (UTC) day before `kots consolidate` removes that day\'s raw files, and only those a verified consolidated object covers. Late readings of a day keep arriving as raw files and are merged by the next run.',
      ),
  })
  .strict();
