/**
 * The dashboard in a real browser: `kots up` in-process (embedded aedes,
 * simulated agents for the default cities, in-process bus, a temporary local
 * lake) serves the page; Debian's Chromium, driven by playwright-core, logs in
 * as an operator of the registry, watches the tiles fill and a surreal event
 * arrive without a reload, and changes the chart period. Screenshots go to
 * test-output/dashboard/ (docs/dashboard.png is copied from the desktop one when
 * missing or with KOTS_UPDATE_DOCS_SCREENSHOT=1).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../cli/up/stack.js';
import { DEFAULT_CITIES } from '../../agent/cities.js';
import { runSimulation } from '../../agent/simulate.js';
import { startBridge } from '../../bridge/index.js';
import { generateCredential, hashCredential } from '../../bridge/registry/credentials.js';
import { writeRegistryFile } from '../../bridge/registry/registry.js';
import { InProcessBus } from '../../consumer/in-process-bus.js';
import { loadConfig, type KotsConfig } from '../../core/config/index.js';
import { openLake } from '../../core/lake/index.js';
import { silentLogger } from '../../core/log.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const OUTPUT = join(process.cwd(), 'test-output', 'dashboard');

let dir: string;
let stack: Stack;
let url: string;
let browser: BrowserContext;
const operator = { name: 'ops', password: generateCredential() };
const consoleProblems: string[] = [];
let stdoutWrite: typeof process.stdout.write;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kots-dashboard-'));
  mkdirSync(OUTPUT, { recursive: true });
  mkdirSync(join(process.cwd(), 'docs'), { recursive: true });
  const registryFile = join(dir, 'registry.yaml');
  await writeRegistryFile(registryFile, {
    users: [{ name: operator.name, role: 'operator', hash: await hashCredential(operator.password, { ln: 10, r: 8, p: 1 }) }],
  });
  const config = loadConfig({
    env: {},
    overrides: {
      'lake.path': join(dir, 'lake'),
      'bridge.port': 0,
      // The simulated agents connect anonymously (no bridge registry); the page still needs an operator login.
      'dashboard.registryFile': registryFile,
      'up.stateDir': join(dir, 'state'),
      'up.intervalMinSeconds': 0.3,
      'up.intervalMaxSeconds': 0.8,
      'agent.healthIntervalSeconds': 2,
      'consumer.batchMaxAgeMs': 500,
      'dashboard.port': 0,
      'dashboard.lakeRefreshSeconds': 5,
      'log.level': 'silent',
    },
  });
  // `kots up` prints its summary and the events it sees; keep the test output readable.
  stdoutWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  await seedHistory(config);
  stack = await startStack(config, silentLogger, { agents: true });
  url = stack.dashboardUrl!;
  browser = await chromium.launchPersistentContext(mkdtempSync(join(dir, 'chromium-profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 1000 },
    deviceScaleFactor: 1,
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (stdoutWrite) process.stdout.write = stdoutWrite;
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Two days of history for the charts and the heat-map: `kots simulate`'s agents
 * (simulated clock, observed_at in the past) through a bridge and the
 * in-process bus into the same lake, before `kots up` starts.
 */
async function seedHistory(config: KotsConfig): Promise<void> {
  const bus = await InProcessBus.open({ lake: openLake(config.lake), config, logger: silentLogger });
  const bridge = await startBridge({ config, sink: bus, logger: silentLogger });
  try {
    const result = await runSimulation({
      config: {
        ...config,
        mqtt: { ...config.mqtt, url: `mqtt://127.0.0.1:${bridge.listeners.port}` },
        agent: { ...config.agent, spoolDir: join(dir, 'simulation-spool') },
      },
      logger: silentLogger,
      from: new Date(Date.now() - 2 * 86_400_000),
      days: 2,
      intervalMinutes: 20,
    });
    expect(result.readings).toBeGreaterThan(DEFAULT_CITIES.length * 100);
  } finally {
    await bridge.close();
    await bus.close();
  }
}

function watchConsole(page: Page): void {
  page.on('console', (message) => {
    // The 401s of the session check before login and of the wrong password are expected; nothing else is.
    if (message.type() === 'error' && !/status of 401/.test(message.text())) consoleProblems.push(message.text());
  });
  page.on('pageerror', (error) => consoleProblems.push(error.message));
}

async function logIn(page: Page): Promise<void> {
  await page.goto(url);
  await page.locator('#login-form').waitFor({ state: 'visible' });
  await page.fill('#username', operator.name);
  await page.fill('#password', operator.password);
  await page.click('#login-submit');
  await page.locator('#app').waitFor({ state: 'visible' });
}

describe('dashboard in Chromium (playwright-core)', () => {
  it('logs in, fills the city tiles, shows a live event without reload, changes the chart period', async () => {
    const page = await browser.newPage();
    watchConsole(page);

    // A wrong password is refused on the page.
    await page.goto(url);
    await page.fill('#username', operator.name);
    await page.fill('#password', 'not-the-password');
    await page.click('#login-submit');
    await expect.poll(() => page.textContent('#login-error')).toMatch(/wrong user name or password/);

    await logIn(page);
    const cookies = await browser.cookies(url);
    const session = cookies.find((c) => c.name === 'kots_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // Every default city gets a tile with a temperature, wind and devices online.
    await expect.poll(() => page.locator('.tile').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(DEFAULT_CITIES.length);
    await expect
      .poll(async () => (await page.locator('.tile .tile-temp').allTextContents()).filter((t) => /-?\d+\.\d°C/.test(t)).length, { timeout: 30_000 })
      .toBe(DEFAULT_CITIES.length);
    await expect
      .poll(async () => (await page.locator('.tile .pill').allTextContents()).filter((t) => t === '1/1 online').length, { timeout: 30_000 })
      .toBe(DEFAULT_CITIES.length);
    // The fleet table: every simulated agent online, with its version and spool depth from the health topic.
    await expect.poll(() => page.locator('#fleet tbody tr[data-device]').count(), { timeout: 20_000 }).toBe(DEFAULT_CITIES.length);
    await expect
      .poll(async () => (await page.locator('#fleet tbody td:nth-child(5)').allTextContents()).filter((v) => /^\d+\.\d+\.\d+/.test(v)).length, {
        timeout: 20_000,
      })
      .toBe(DEFAULT_CITIES.length);

    // A surreal event arrives through the stream while the page stays loaded.
    // (The feed starts with the lake's recent events; a live one is an id not shown before.)
    await page.evaluate(() => ((window as unknown as { kotsNoReload: boolean }).kotsNoReload = true));
    const feedIds = () => page.locator('#feed li[data-id]').evaluateAll((items) => items.map((i) => i.getAttribute('data-id')));
    const before = new Set(await feedIds());
    expect(before.size, 'recent events from the lake').toBeGreaterThan(0);
    await expect.poll(async () => (await feedIds()).filter((id) => !before.has(id)).length, { timeout: 60_000, interval: 500 }).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as unknown as { kotsNoReload?: boolean }).kotsNoReload)).toBe(true);
    const fresh = page.locator('#feed li.new');
    expect(await fresh.count()).toBe(1);
    expect(await fresh.textContent()).toMatch(/local/);

    // Filtering the feed by the first event's city shows only that city.
    const firstCity = await page.locator('#feed li[data-event]').first().getAttribute('data-city');
    await page.selectOption('#feed-city', firstCity!);
    const cities = await page.locator('#feed li[data-event]').evaluateAll((items) => items.map((i) => i.getAttribute('data-city')));
    expect(new Set(cities)).toEqual(new Set([firstCity]));
    await page.selectOption('#feed-city', '');

    // Charts from the lake: points appear for the selected city, then the period changes to 6h.
    await expect.poll(async () => Number(await page.getAttribute('#charts', 'data-points')), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.click('#periods button[data-period="6h"]');
    await expect
      .poll(async () => `${await page.getAttribute('#charts', 'data-period')} ${await page.textContent('#chart-note')}`, { timeout: 15_000 })
      .toMatch(/^6h /);
    expect(await page.getAttribute('#periods button[data-period="6h"]', 'aria-pressed')).toBe('true');
    expect(await page.locator('#chart-temp canvas').count()).toBe(1);
    await expect.poll(() => page.textContent('#heat-period'), { timeout: 15_000 }).toBe('last 6h');
    await expect.poll(() => page.locator('#heatmap td.cell').count(), { timeout: 20_000, interval: 2000 }).toBeGreaterThan(0);

    // For the picture: a city with events, over a day (clicking a tile selects its charts).
    await page.click('.tile[data-city="yakutsk"]');
    await page.click('#periods button[data-period="24h"]');
    await expect
      .poll(async () => `${await page.getAttribute('#charts', 'data-period')} ${await page.textContent('#chart-note')}`, { timeout: 15_000 })
      .toMatch(/^24h Yakutsk/);
    await page.screenshot({ path: join(OUTPUT, 'desktop.png'), fullPage: true, animations: 'disabled' });
    // The README's picture: written when missing, or on request, so ordinary runs leave the tree unchanged.
    const docsPicture = join(process.cwd(), 'docs', 'dashboard.png');
    if (!existsSync(docsPicture) || process.env.KOTS_UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(join(OUTPUT, 'desktop.png'), docsPicture);

    // The same page on a phone screen: no horizontal scrolling of the page itself.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(OUTPUT, 'phone.png'), fullPage: true, animations: 'disabled' });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);

    expect(consoleProblems).toEqual([]);
    await page.close();
  });

  it('without a login every data endpoint answers 401, and a logged-in page sees no credential', async () => {
    for (const path of ['/api/session', '/api/snapshot', '/api/stream', '/api/history?city=cairo&period=1h', '/api/heatmap?period=24h']) {
      const response = await fetch(new URL(path, url));
      expect(response.status, path).toBe(401);
      await response.body?.cancel();
    }
    const forged = await fetch(new URL('/api/snapshot', url), { headers: { cookie: 'kots_session=forged-token' } });
    expect(forged.status).toBe(401);
    await forged.body?.cancel();
    // The page itself is public (it shows the login form).
    expect((await fetch(url)).status).toBe(200);

    const login = await fetch(new URL('/api/login', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: operator.name, password: operator.password }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const snapshot = await (await fetch(new URL('/api/snapshot', url), { headers: { cookie } })).text();
    expect(JSON.parse(snapshot).devices.length).toBe(DEFAULT_CITIES.length);
    expect(snapshot).not.toMatch(/\$scrypt\$|password|hash|settings/i);
    expect(snapshot).not.toContain(operator.password);

    const logout = await fetch(new URL('/api/logout', url), { method: 'POST', headers: { cookie } });
    expect(logout.status).toBe(200);
    const after = await fetch(new URL('/api/snapshot', url), { headers: { cookie } });
    expect(after.status).toBe(401);
  });
});
