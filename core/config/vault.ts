import { z } from 'zod';
import { secret } from './common.js';

/**
 * Where kots reads its secrets (and, optionally, any other setting) at start.
 * Precedence per setting: command-line flags > environment > Vault > config file.
 * See core/secrets/README.md.
 */
export const vaultSection = z
  .object({
    address: z.url().optional().describe('Vault (or OpenBao) address, e.g. https://vault.example:8200; unset means no Vault. VAULT_ADDR is read too.'),
    token: secret.optional().describe('Vault token (token auth). VAULT_TOKEN is read too. Give either a token or roleId + secretId.'),
    tokenFile: z.string().optional().describe('File holding the Vault token (e.g. written by a Vault agent); read at start.'),
    roleId: z.string().optional().describe('AppRole role id (AppRole auth, with secretId).'),
    secretId: secret.optional().describe('AppRole secret id.'),
    appRoleMount: z.string().default('approle').describe('Mount path of the AppRole auth method.'),
    namespace: z.string().optional().describe('Vault Enterprise / OpenBao namespace. VAULT_NAMESPACE is read too.'),
    mount: z.string().default('secret').describe('Mount path of the KV version 2 secrets engine.'),
    pathPrefix: z
      .string()
      .default('kots')
      .describe('Folder of the default paths: setting <section>.<key> is read from <mount>/<pathPrefix>/<section>, key <key>.'),
    defaultPaths: z
      .boolean()
      .default(true)
      .describe('Read the default path of each section; false means only explicit vault:<path>#<key> references are resolved.'),
    timeoutSeconds: z.number().positive().default(10).describe('Timeout of one Vault request at start.'),
    renewToken: z.boolean().default(true).describe('Renew a renewable token before it expires; a failed renewal is only logged (secrets were read at start).'),
  })
  .strict()
  .refine((v) => (v.roleId === undefined) === (v.secretId === undefined), {
    message: 'AppRole auth needs both vault.roleId and vault.secretId',
    path: ['roleId'],
  });
