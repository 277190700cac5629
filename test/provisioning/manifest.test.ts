/** fleet.yaml validation: every problem names its line; defaults and ids are settled. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseManifest, planFleet } from '../../provisioning/manifest.js';

function problems(text: string): string {
  try {
    parseManifest(text, 'fleet.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the manifest was accepted');
}

describe('fleet manifest', () => {
  it('names the line of each problem, including unknown keys and missing fields', () => {
    const message = problems(
      [
        'version: 1', // 1
        'broker:', // 2
        '  url: http://wrong', // 3
        'cities:', // 4
        '  - name: Takamatsu', // 5
        '    lat: 34.3', // 6
        '    devices:', // 7
        '      - target: linux-arm65', // 8
        '        intervall: 3', // 9
        '  - name: Nowhere', // 10
        '    devices: []', // 11
      ].join('\n'),
    );
    expect(message).toContain('fleet.yaml:3: broker.url: expected a URL');
    expect(message).toContain('fleet.yaml:8: cities[0].devices[0].target: Invalid option');
    expect(message).toContain('fleet.yaml:9: cities[0].devices[0].intervall: unknown key');
    expect(message).toContain('fleet.yaml:11: cities[1].devices: a city needs at least one device');
    // Checks across fields of a city run once its fields are valid.
    expect(problems(['broker: { url: "mqtt://a:1883" }', 'cities:', '  - name: Kochi', '    lat: 33.5', '    devices: [{}]'].join('\n'))).toContain(
      'fleet.yaml:4: cities[0].lat: give both lat and lon',
    );
  });

  it('reports YAML syntax errors and duplicate ids with their lines', () => {
    expect(problems('broker: {url: mqtt://a:1\ncities: [')).toMatch(/not valid YAML:\n {2}- fleet.yaml:\d+:/);
    const duplicate = problems(
      [
        'broker: { url: "mqtt://a:1883" }',
        'cities:',
        '  - name: Kochi',
        '    lat: 33.5',
        '    lon: 133.5',
        '    devices:',
        '      - id: pi-1',
        '      - id: pi-1',
      ].join('\n'),
    );
    expect(duplicate).toContain('fleet.yaml:8: cities[0].devices[1]: device id "pi-1" is used twice (also at fleet.yaml:7)');
  });

  it('plans devices: defaults, counted ids, OpenWeather cities, CA relative to the manifest', () => {
    const plan = planFleet(
      parseManifest(
        [
          'broker: { url: "mqtts://b:8883", caFile: ca.pem }',
          'defaults: { target: linux-armv7l, interval: { min: 5, max: 6 } }',
          'cities:',
          '  - { name: "Buenos Aires", openweather: "Buenos Aires,AR", devices: [{ count: 2, source: openweather }, { id: ba-lab, target: linux-x64 }] }',
        ].join('\n'),
        'fleet.yaml',
      ),
      '/etc/fleet',
    );
    expect(plan.broker).toEqual({ url: 'mqtts://b:8883', protocolVersion: 4, caFile: '/etc/fleet/ca.pem' });
    expect(plan.devices.map((d) => [d.id, d.city.slug, d.target, d.source, d.intervalMinSeconds, d.openweatherQuery])).toEqual([
      ['buenos-aires-1', 'buenos-aires', 'linux-armv7l', 'openweather', 5, 'name'],
      ['buenos-aires-2', 'buenos-aires', 'linux-armv7l', 'openweather', 5, 'name'],
      ['ba-lab', 'buenos-aires', 'linux-x64', 'simulated', 5, 'name'],
    ]);
    expect(plan.devices[0]!.city).toMatchObject({ name: 'Buenos Aires', country: 'AR', lat: -34.6037 });
  });

  it('accepts the example manifest', () => {
    const text = readFileSync(new URL('../../provisioning/fleet.example.yaml', import.meta.url), 'utf8');
    expect(planFleet(parseManifest(text, 'fleet.example.yaml'), '/x').devices.map((d) => d.id)).toEqual([
      'takamatsu-roof',
      'takamatsu-1',
      'reykjavik-1',
      'reykjavik-2',
    ]);
  });
});
