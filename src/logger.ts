/**
 * What the engines and sources may say. Front ends decide where it goes (terminal, workflow log);
 * nothing below them calls `console` or `@actions/core` directly.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warning() {},
  error() {},
};
