import { z } from 'zod';

export const consolidateSection = z
  .object({
    rawRetentionHours: z
      .number()
      .min(0)
      .default(48)
      .describe(
        "Hours after the end of a (UTC) day before `kots consolidate` removes that day's raw files, and only those a verified consolidated object covers. Late readings of a day keep arriving as raw files and are merged by the next run.",
      ),
    leaseSeconds: z
      .number()
      .min(1)
      .default(600)
      .describe(
        "Time to live of the lease a `kots consolidate` run takes on each day it consolidates (renewed every third of it while the run goes on). Another run of the same day waits for it or stops; a crashed run's lease is taken over once it expires. Keep it well above the clock skew between machines.",
      ),
  })
  .strict();
