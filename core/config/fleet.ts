import { z } from 'zod';

/** Settings of `kots fleet` (provisioning, run at the central site). The fleet itself is described by fleet.yaml. */
export const fleetSection = z
  .object({
    stateDir: z
      .string()
      .default('kots-fleet')
      .describe(
        'Folder (mode 700) of the fleet state file (device identities, no secrets), the credentials file when Vault is not configured, and the default bundle output.',
      ),
    agentBinaryDir: z
      .string()
      .optional()
      .describe(
        'Folder with prebuilt agent binaries named kots-agent-<target> (linux-armv7l also needs its runtime tree root-linux-armv7l/ beside it, as npm run build:agent writes it); unset: built from agent/ (npm run build:agent) when missing or stale.',
      ),
    operatorUser: z
      .string()
      .regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits, ".", "_", "@" or "-"')
      .default('kots-fleet')
      .describe(
        'Registry user (role operator) that `kots fleet status` and `kots fleet config` log in as; created by `kots fleet provision`, its secret kept with the device credentials.',
      ),
    brokerUrl: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'expected a URL such as mqtt://host:1883')
      .optional()
      .describe("Broker address for `status` and `config` from the central site; unset: the manifest's broker.url (the address devices use)."),
    statusWaitSeconds: z
      .number()
      .positive()
      .default(3)
      .describe(
        "How long `kots fleet status` listens: status is retained (instant), health and readings are not, so a longer wait (up to the agents' healthIntervalSeconds) fills in more.",
      ),
  })
  .strict();
