import { describe, it, expect } from 'vitest';
import { ExitCode } from '../src/errors.js';
describe('smoke', () => { it('exit codes', () => { expect(ExitCode.InvalidInput).toBe(2); }); });
