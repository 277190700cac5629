/** Query results as a table, CSV or JSON lines (Parquet output is written by DuckDB itself). */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from './database.js';

export type OutputFormat = 'table' | 'csv' | 'json' | 'parquet';

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

const WIDE_INTEGERS = new Set(['BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT']);

export async function runQuery(connection: DuckDBConnection, sql: string): Promise<QueryResult> {
  const reader = await connection.runAndReadAll(sql);
  const wide = reader.columnTypes().map((t) => WIDE_INTEGERS.has(t.toString()));
  // JSON-safe values keep 64-bit integers as strings; counts (nearly always small) read better as numbers.
  const rows = (reader.getRowsJson() as unknown[][]).map((row) =>
    row.map((value, i) => (wide[i] && typeof value === 'string' && Number.isSafeInteger(Number(value)) ? Number(value) : value)),
  );
  return { columns: reader.columnNames(), rows };
}

export async function writeParquet(connection: DuckDBConnection, sql: string, file: string): Promise<void> {
  await connection.run(`COPY (${sql.replace(/;\s*$/, '')}) TO ${sqlString(file)} (FORMAT parquet)`);
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function formatResult(result: QueryResult, format: Exclude<OutputFormat, 'parquet'>): string {
  if (format === 'json') {
    return result.rows.map((row) => JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c, row[i]])))).join('\n');
  }
  if (format === 'csv') {
    const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    return [result.columns.map(quote).join(','), ...result.rows.map((r) => r.map((v) => (v === null ? '' : quote(cell(v)))).join(','))].join('\n');
  }
  const cells = [result.columns, ...result.rows.map((r) => r.map(cell))];
  const widths = result.columns.map((_, i) => Math.min(60, Math.max(...cells.map((r) => (r[i] ?? '').length))));
  const line = (r: string[]) => r.map((v, i) => (v.length > 60 ? `${v.slice(0, 59)}…` : v).padEnd(widths[i] ?? 0)).join(' │ ');
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  const rows = cells.slice(1).map(line);
  return [line(result.columns), rule, ...rows, `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`].join('\n');
}
