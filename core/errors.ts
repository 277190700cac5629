/**
 * One error family for kots. Every error a user can see carries a stable `code`
 * and says whether retrying can help, so retry logic reads one flag instead of
 * guessing from messages.
 */
export type KotsErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_FILE_UNREADABLE'
  | 'READING_INVALID'
  | 'AUTH_FAILED'
  | 'NOT_AUTHORIZED'
  | 'LIMIT_EXCEEDED'
  | 'KAFKA_UNAVAILABLE'
  | 'LAKE_UNAVAILABLE'
  | 'LAKE_INCONSISTENT'
  | 'LAKE_BUSY'
  | 'SOURCE_FAILED'
  | 'SECRET_MISSING'
  | 'VAULT_UNAVAILABLE'
  | 'SPOOL_FAILED'
  | 'USAGE';

export interface KotsErrorOptions {
  retryable?: boolean;
  cause?: unknown;
}

export class KotsError extends Error {
  readonly code: KotsErrorCode;
  readonly retryable: boolean;

  constructor(code: KotsErrorCode, message: string, options: KotsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KotsError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

export class ConfigError extends KotsError {
  /** Each problem names the setting (dotted path) and what is expected. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[], source: string) {
    super('CONFIG_INVALID', `invalid configuration (${source}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
