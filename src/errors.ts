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
  override readonly name: string = 'SearchError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * No AWS credentials could be found (the SDK's default chain, or the profile named, gave none):
 * nothing was searched, and no result file is written.
 */
export class NoCredentialsError extends SearchError {
  override readonly name: string = 'NoCredentialsError';
}

/** The SDK's error saying that no AWS credentials could be loaded: `err` or one it wraps. */
export function noCredentialsCause(err: unknown): Error | undefined {
  let wrapper: Error | undefined;
  for (let e = err, depth = 0; e && depth < 8; depth++) {
    const { name, code, cause } = e as { name?: unknown; code?: unknown; cause?: unknown };
    // The SDK's own error says it best; a wrapper that only copied its name as a code, second.
    if (name === 'CredentialsProviderError') return e as Error;
    if (code === 'CredentialsProviderError') wrapper ??= e as Error;
    e = cause;
  }
  return wrapper;
}

/**
 * `err` as a NoCredentialsError when it says, or wraps an error saying, that no AWS credentials
 * could be loaded; undefined otherwise.
 */
export function asNoCredentialsError(err: unknown): NoCredentialsError | undefined {
  if (err instanceof NoCredentialsError) return err;
  const cause = noCredentialsCause(err);
  if (!cause) return undefined;
  const reason = errorMessage(cause).replace(/\.$/, '');
  return new NoCredentialsError(`No AWS credentials were found, so nothing was searched (${reason}).`, {
    cause: err,
  });
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
