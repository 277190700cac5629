/**
 * A game master's variant: drawn from a seed within its ranges, kept in the lake's state or, with
 * Vault configured, in Vault (the shared OpenBao) and then not in the lake; `activeRules` gives
 * the consumer the variant, or the original rules when none is stored.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORIGINAL_RULES } from '../../../consumer/events/index.js';
import { activeRules, VARIANT_LAKE_KEY, variantStore } from '../../../consumer/events/variant-store.js';
import { drawVariant, parseVariant } from '../../../consumer/events/variant.js';
import { LocalLake } from '../../../core/lake/index.js';
import { testConfig, uniqueName } from '../../helpers/servers.js';
import { sharedVault } from '../../core/secrets/vault-helpers.js';

describe('drawVariant', () => {
  it('gives the same variant for the same seed, another for another seed, inside the plausible ranges', () => {
    expect(drawVariant('a', new Date(0))).toEqual(drawVariant('a', new Date(0)));
    const variants = Array.from({ length: 200 }, (_, i) => drawVariant(`seed-${i}`).rules);
    expect(new Set(variants.map((r) => JSON.stringify(r))).size).toBeGreaterThan(190);
    for (const r of variants) {
      expect(r[1].tempBelow! - 273.15).toBeGreaterThanOrEqual(-1.5 - 1e-9);
      expect(r[1].tempBelow! - 273.15).toBeLessThanOrEqual(1.5 + 1e-9);
      expect(r[2].hourFrom).toBeGreaterThanOrEqual(18);
      expect(r[2].hourTo! - r[2].hourFrom!).toBeGreaterThanOrEqual(2);
      expect(r[2].hourTo).toBeLessThanOrEqual(24);
      expect(r[4].hourTo! - r[4].hourFrom!).toBeGreaterThanOrEqual(2);
      expect(r[8].windAbove! - r[6].windAbove!).toBeGreaterThanOrEqual(1.5);
      expect(r[7].tempBelow! - r[7].tempAbove!).toBeGreaterThanOrEqual(4 - 1e-9);
      for (const id of [1, 3, 5, 6, 7, 8, 9, 10] as const) {
        expect(r[id].p).toBeGreaterThanOrEqual(0.15);
        expect(r[id].p).toBeLessThanOrEqual(0.75);
      }
      // The rare events' gates only go up: their weather is scarce already.
      for (const id of [3, 5, 9] as const) expect(r[id].p).toBeGreaterThanOrEqual(ORIGINAL_RULES[id].p);
      expect(r[9].tempAbove! - 273.15).toBeLessThanOrEqual(30 + 1e-9);
      expect(r[2].p).toBe(1);
      expect(r[4].p).toBe(1);
      // The conditions keep the original's shape: the same weather fields, other numbers.
      for (const id of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const) expect(Object.keys(r[id]).sort()).toEqual(Object.keys(ORIGINAL_RULES[id]).sort());
    }
  });

  it('survives a JSON round trip, and anything else is refused with the path', () => {
    const variant = drawVariant('round-trip');
    expect(parseVariant(JSON.parse(JSON.stringify(variant)))).toEqual(variant);
    expect(() => parseVariant({ seed: 'x', drawnAt: 'y', rules: {} })).toThrow(/not a rules variant: rules\.1/);
  });
});

describe('variant store', () => {
  it('keeps the variant in the lake state when there is no Vault', async () => {
    const path = mkdtempSync(join(tmpdir(), 'kots-variant-'));
    const lake = new LocalLake(path);
    const config = testConfig({ KOTS_LAKE_PATH: path });
    expect(await activeRules(config, lake)).toEqual({ rules: ORIGINAL_RULES, variant: false });
    const variant = drawVariant('lake');
    await variantStore(config, lake).save(variant);
    expect(await lake.list(VARIANT_LAKE_KEY)).toEqual([VARIANT_LAKE_KEY]);
    expect(await activeRules(config, lake)).toEqual({ rules: variant.rules, variant: true });
    await variantStore(config, lake).clear();
    expect(await activeRules(config, lake)).toEqual({ rules: ORIGINAL_RULES, variant: false });
  });

  it('keeps it in Vault (real OpenBao) when Vault is configured, and nothing in the lake', async () => {
    const path = mkdtempSync(join(tmpdir(), 'kots-variant-vault-'));
    const lake = new LocalLake(path);
    const config = testConfig({
      KOTS_LAKE_PATH: path,
      KOTS_VAULT_ADDRESS: sharedVault.address,
      KOTS_VAULT_TOKEN: sharedVault.token,
      KOTS_VAULT_PATH_PREFIX: uniqueName('kots-variant'),
    });
    const store = variantStore(config, lake);
    expect(store.describe()).toMatch(/^Vault http/);
    expect(await activeRules(config, lake)).toEqual({ rules: ORIGINAL_RULES, variant: false });
    const variant = drawVariant('vault');
    await store.save(variant);
    expect(await lake.list('_state/')).toEqual([]);
    expect(await activeRules(config, lake)).toEqual({ rules: variant.rules, variant: true });
    await store.clear();
    expect(await activeRules(config, lake)).toEqual({ rules: ORIGINAL_RULES, variant: false });
  });
});
