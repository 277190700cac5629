/** `kots sql --var name=value`: the variable given wins over the file's own SET VARIABLE of that name. */
import { describe, expect, it } from 'vitest';
import { applyVariables, collectVariable } from '../../cli/sql-vars.js';

describe('kots sql --var', () => {
  it('replaces the file’s SET VARIABLE of the same name and quotes text', () => {
    const file = "-- profile\nSET VARIABLE event_id = 2;\nSET VARIABLE other = 1;\nSELECT getvariable('event_id');\n";
    const vars = collectVariable("city=o'hare", collectVariable('event_id=5'));
    expect(applyVariables(file, vars)).toBe(
      "SET VARIABLE event_id = 5;\nSET VARIABLE city = 'o''hare';\n-- profile\nSET VARIABLE other = 1;\nSELECT getvariable('event_id');\n",
    );
    expect(collectVariable('event_id=7', vars).filter((v) => v.name === 'event_id')).toEqual([{ name: 'event_id', literal: '7' }]);
    expect(() => collectVariable('no-equals')).toThrow(/--var expects name=value/);
  });
});
