import { describe, it, expect } from 'vitest';
import { describeFailure, gate } from '../../src/main.js';
import { ConfigurationError, ExitCode, SearchError } from '../../src/errors.js';

const summary = (complete: boolean, matches: number) => ({
  complete,
  matches,
  failures: complete ? [] : [{ key: 'AWSLogs/x.json.gz', reason: 'gzip: unexpected end of file' }],
  regionBreakdown: [],
});

describe('gate', () => {
  const cases: Array<[string, boolean, number, boolean, boolean, ExitCode, number]> = [
    // name, complete, matches, failOnMatch, failOnIncomplete, exit code, failure count
    ['clean search', true, 0, true, true, ExitCode.Ok, 0],
    ['matches without fail-on-match', true, 5, false, true, ExitCode.Ok, 0],
    ['matches with fail-on-match', true, 5, true, true, ExitCode.Matched, 1],
    ['incomplete, fail closed', false, 0, false, true, ExitCode.Incomplete, 1],
    ['incomplete and matches: incomplete wins', false, 2, true, true, ExitCode.Incomplete, 2],
    ['incomplete, only warned', false, 0, false, false, ExitCode.Ok, 0],
    ['incomplete warned, matches still gate', false, 2, true, false, ExitCode.Matched, 1],
  ];
  it.each(cases)('%s', (_name, complete, matches, failOnMatch, failOnIncomplete, exitCode, failures) => {
    const verdict = gate(summary(complete, matches), { failOnMatch, failOnIncomplete });
    expect(verdict.exitCode).toBe(exitCode);
    expect(verdict.failures).toHaveLength(failures);
    expect(verdict.warnings).toHaveLength(!complete && !failOnIncomplete ? 1 : 0);
  });

  it('fails a blind run when it is a gate, warns otherwise, and never when the search was incomplete', () => {
    const blind = { ...summary(true, 0), noLogs: ['No CloudTrail log file was delivered to s3://x.'] };
    const asGate = gate(blind, { failOnMatch: true, failOnIncomplete: true });
    expect(asGate.exitCode).toBe(4);
    expect(asGate.failures.join(' ')).toMatch(/No logs where logs were expected.*s3:\/\/x/);
    const optedOut = gate(blind, { failOnMatch: true, failOnIncomplete: true, failOnNoLogs: false });
    expect(optedOut.exitCode).toBe(ExitCode.Ok);
    expect(optedOut.warnings).toHaveLength(1);
    const watch = gate(blind, { failOnMatch: false, failOnIncomplete: true });
    expect(watch.exitCode).toBe(ExitCode.Ok);
    expect(watch.warnings).toHaveLength(1);
    const incomplete = gate(
      { ...summary(false, 0), noLogs: ['x'] },
      { failOnMatch: true, failOnIncomplete: true },
    );
    expect(incomplete.exitCode).toBe(ExitCode.Incomplete);
  });

  it('names the count', () => {
    expect(gate(summary(true, 1), { failOnMatch: true, failOnIncomplete: true }).failures).toEqual([
      '1 matching CloudTrail event found (fail-on-match is true).',
    ]);
  });
});

describe('describeFailure', () => {
  it('names the action input, not the CLI flag, and says it once', () => {
    expect(
      describeFailure(
        new ConfigurationError('--format must be one of jsonl, json, csv; got "xml".', '--format'),
      ),
    ).toEqual({
      message: 'Invalid input `output-format`: must be one of jsonl, json, csv; got "xml".',
      exitCode: ExitCode.InvalidInput,
      result: 'invalid-input',
    });
    expect(
      describeFailure(
        new ConfigurationError('filter key "eventNme": unknown field.', 'filter key "eventNme"'),
      ).message,
    ).toBe('Invalid input `filters`: filter key "eventNme": unknown field.');
  });

  it('gives other errors their message, never a stack', () => {
    const err = new Error('socket hang up');
    expect(describeFailure(err)).toEqual({ message: 'socket hang up', exitCode: 5, result: 'error' });
    expect(describeFailure(new SearchError('bucket not found')).message).toBe('bucket not found');
  });
});
