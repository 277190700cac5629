/**
 * `kots config show` prints the effective settings with every secret masked,
 * by the schema's `secret` mark rather than by the setting's name.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configLeaves, configSchema, envName } from '../../core/config/index.js';
import { KOTS_BIN } from '../helpers/processes.js';

const run = promisify(execFile);

describe('kots config show', () => {
  it('masks every setting the schema marks secret, the Slack webhook URL among them, and shows the rest', async () => {
    const secrets = configLeaves(configSchema).filter((leaf) => leaf.secret);
    expect(secrets.map((leaf) => leaf.path.join('.'))).toEqual(
      expect.arrayContaining(['consumer.alertsWebhookUrl', 'mqtt.password', 'lake.secretAccessKey', 'duckdb.motherduckToken']),
    );
    // Every secret gets a value of its own, so a leak names the setting; AppRole needs its role id beside the secret id.
    const env: Record<string, string> = { KOTS_VAULT_ROLE_ID: 'role-id-shown', KOTS_LOG_LEVEL: 'warn' };
    const values = new Map<string, string>();
    for (const leaf of secrets) {
      const value =
        leaf.path.join('.') === 'consumer.alertsWebhookUrl' ? 'https://hooks.slack.com/services/T000/B000/leakedtoken1' : `leaked-${leaf.path.join('-')}`;
      values.set(leaf.path.join('.'), value);
      env[envName(leaf.path)] = value;
    }
    const { stdout } = await run(process.execPath, [KOTS_BIN, 'config', 'show'], { env: { ...process.env, ...env } });
    const shown = JSON.parse(stdout) as Record<string, Record<string, unknown>>;
    for (const [path, value] of values) {
      expect(stdout, `${path} is shown`).not.toContain(value);
      const [section, key] = path.split('.') as [string, string];
      expect(shown[section]![key], path).toBe('***');
    }
    expect(shown.vault!.roleId).toBe('role-id-shown');
  });
});
