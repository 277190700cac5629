import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../cli/sql/statements.js';

describe('splitStatements', () => {
  it('ends statements only at semicolons outside strings, quoted names, comments and dollar quotes', () => {
    const text = [
      'select \'a;b\' as "x;y"; -- a comment; with a semicolon',
      'select 1 /* block; comment */ + 1;',
      "select $$dollar; quoted$$, 'it''s; fine';",
      'select 4',
    ].join('\n');
    const { statements, rest } = splitStatements(text);
    expect(statements).toEqual([
      `select 'a;b' as "x;y"`,
      '-- a comment; with a semicolon\nselect 1 /* block; comment */ + 1',
      "select $$dollar; quoted$$, 'it''s; fine'",
    ]);
    expect(rest.trim()).toBe('select 4');
  });

  it('skips empty statements and comment-only text', () => {
    expect(splitStatements(';;  ; -- nothing\n').statements).toEqual([]);
  });
});
