/**
 * Splits SQL text into statements at the semicolons that end them, the way the DuckDB CLI
 * reads a script: a semicolon inside a string, a quoted name, a comment or a dollar-quoted
 * body does not end anything, and a last statement without its semicolon still counts.
 */
export interface Split {
  /** Complete statements, each with its semicolon removed and trimmed. */
  statements: string[];
  /** Text after the last semicolon (an unfinished statement, or only blanks and comments). */
  rest: string;
}

export function splitStatements(text: string): Split {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  for (let c = text[i]; c !== undefined; c = text[i]) {
    const next = text[i + 1];
    if (c === "'" || c === '"') {
      i = closing(text, i + 1, c);
    } else if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i))?.[0];
      if (tag) {
        const end = text.indexOf(tag, i + tag.length);
        i = end === -1 ? text.length : end + tag.length;
      } else i++;
    } else if (c === ';') {
      const statement = text.slice(start, i).trim();
      if (hasCode(statement)) statements.push(statement);
      i++;
      start = i;
    } else i++;
  }
  return { statements, rest: text.slice(start) };
}

/** Index after the quote closing one opened before `from` ('' and "" are escaped quotes). */
function closing(text: string, from: number, quote: string): number {
  let i = from;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}

/** Whether there is anything besides blanks and comments. */
export function hasCode(text: string): boolean {
  return (
    text
      .replace(/--[^\n]*/g, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim().length > 0
  );
}
