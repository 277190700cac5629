/**
 * `kots up --dashboard-port 0` works out of the box: no registry anywhere, `kots up` prints a
 * one-time login link, Chromium (playwright-core) opens it, lands on the page logged in, and
 * sees the city tiles fill. The link works once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CITIES } from '../../agent/cities.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';
import { spawnKots, waitFor, type KotsProcess } from '../helpers/processes.js';

let up: KotsProcess | undefined;
let browser: BrowserContext | undefined;

afterAll(async () => {
  await browser?.close();
  await up?.kill('SIGINT');
});

/** What a fresh machine has: no KOTS_*, Kafka, S3 or registry settings of the test servers. */
function bareEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(KOTS_|KAFKA_|S3_|AWS_|MQTT_|VAULT_)/.test(key)) env[key] = value;
  }
  return env;
}

describe('kots up --dashboard-port', () => {
  it('prints a one-time login link that logs Chromium in, and the tiles fill', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kots-login-link-'));
    const env: Record<string, string> = {
      ...bareEnvironment(),
      KOTS_BRIDGE_PORT: '0',
      KOTS_UP_STATE_DIR: join(cwd, 'state'),
      KOTS_LAKE_PATH: join(cwd, 'lake'),
    };
    // spawnKots lays env over process.env: blank out the test servers' settings (an empty value counts as unset).
    for (const key of Object.keys(process.env)) if (!(key in env)) env[key] = '';
    up = spawnKots(['up', '--dashboard-port', '0'], env);
    const link = await waitFor(
      'the login link',
      async () => /^ {2}(http:\/\/127\.0\.0\.1:\d+\/login\?token=[\w-]{32})$/m.exec(up!.output())?.[1],
      60_000,
    ).catch((error) => {
      throw new Error(`${(error as Error).message}\n${up!.output()}`);
    });
    expect(up.output()).not.toMatch(/no registry to check logins against/);

    browser = await chromium.launchPersistentContext(mkdtempSync(join(cwd, 'chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const page = await browser.newPage();
    await page.goto(link);
    // Redirected to the page itself, logged in, the token gone from the address bar.
    expect(new URL(page.url()).pathname).toBe('/');
    await page.locator('#app').waitFor({ state: 'visible', timeout: 20_000 });
    await expect
      .poll(async () => (await page.locator('.tile .tile-temp').allTextContents()).filter((t) => /-?\d+\.\d°C/.test(t)).length, {
        timeout: 60_000,
        interval: 1000,
      })
      .toBe(DEFAULT_CITIES.length);

    // The link was for one login: a second browser using it is refused.
    const second = await fetch(link, { redirect: 'manual' });
    expect(second.status).toBe(401);
  });
});
