/**
 * Typed errors and the exit codes they map to. User mistakes (ConfigurationError) are kept apart
 * from search failures and from bugs so each front end can say the right thing and exit with the
 * documented code.
 */

export const ExitCode = {
  /** Search done (and complete), gate not tripped. */
  Ok: 0,
  /** Matches found and fail-on-match asked for. */
  Matched: 1,
  /** Invalid input: nothing was read, no AWS call was made. */
  InvalidInput: 2,
  /** The search failed or could not read everything it was asked to read. */
  Incomplete: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in what the user asked for. The message names the field and the fix. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  /** The input, flag or config key at fault, e.g. `--regions` or `filters.eventname|re`. */
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** The search could not run (credentials, permissions, a missing bucket...). */
export class SearchError extends Error {
  override readonly name = 'SearchError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
