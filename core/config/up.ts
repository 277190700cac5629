import { z } from 'zod';
import { citySchema } from './agent.js';

export const upSection = z
  .object({
    cities: z
      .array(citySchema)
      .optional()
      .describe('Cities simulated by `kots up` (default: Takamatsu, Nakano, Kochi, Reykjavik, Cairo, Singapore, Buenos Aires).'),
    agentsPerCity: z.number().int().positive().default(1).describe('Simulated agents per city.'),
    intervalMinSeconds: z.number().positive().default(1).describe('Shortest wait between readings of `kots up` agents.'),
    intervalMaxSeconds: z.number().positive().default(3).describe('Longest wait between readings of `kots up` agents.'),
    stateDir: z.string().default('./kots-state').describe('Spools and other local state of `kots up`.'),
  })
  .strict();
