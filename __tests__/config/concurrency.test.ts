/** `--concurrency`: `auto` (the default) adapts while reading; a number fixes it; anything else is refused, naming the flag. */
import { describe, expect, it } from 'vitest';
import { parseConcurrency } from '../../src/config/build.js';
import { ConfigurationError } from '../../src/errors.js';

describe('--concurrency', () => {
  it('is adaptive by default and with "auto", starting at 16', () => {
    expect(parseConcurrency(undefined)).toEqual({ concurrency: 16, adaptiveConcurrency: true });
    expect(parseConcurrency(' Auto ')).toEqual({ concurrency: 16, adaptiveConcurrency: true });
  });

  it('is fixed when a number is given', () => {
    expect(parseConcurrency('8')).toEqual({ concurrency: 8, adaptiveConcurrency: false });
    expect(parseConcurrency(256)).toEqual({ concurrency: 256, adaptiveConcurrency: false });
  });

  it('refuses anything else, naming the flag and what it accepts', () => {
    expect(() => parseConcurrency('fast')).toThrow(ConfigurationError);
    expect(() => parseConcurrency('fast')).toThrow(
      /--concurrency must be "auto".*or a whole number from 1 to 256/,
    );
    expect(() => parseConcurrency('0')).toThrow(/--concurrency must be a whole number from 1 to 256/);
    expect(() => parseConcurrency('300')).toThrow(/from 1 to 256/);
  });
});
