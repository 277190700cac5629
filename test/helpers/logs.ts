import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/** A real pino logger at `level` whose JSON lines the test reads back as objects. */
export function capturingLogger<Line extends { msg: string }>(level: string): { logger: Logger; logged: Line[] } {
  const logged: Line[] = [];
  const logger = pino(
    { level },
    new Writable({
      write: (chunk, _enc, done) => {
        logged.push(JSON.parse(String(chunk)) as Line);
        done();
      },
    }),
  );
  return { logger, logged };
}
