/**
 * The independent oracle: `jq` over the same files the tool reads. Expected values in tests come
 * from here (or from how a fixture was built), never from the code under test.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Unique eventIDs of the records in `files` (plain or gzipped CloudTrail files holding
 * `{"Records":[...]}`, or bare arrays) selected by the jq boolean expression `select`.
 */
export async function jqEventIds(files: string[], select: string): Promise<string[]> {
  if (files.length === 0) return [];
  const program = `(if type == "array" then .[] else .Records[] end) | select(${select}) | .eventID`;
  // zcat -f passes plain files through unchanged.
  const quoted = files.map((f) => `'${f.replace(/'/g, `'\\''`)}'`).join(' ');
  const { stdout } = await run(
    'bash',
    ['-c', `zcat -f ${quoted} | jq -r '${program.replace(/'/g, `'\\''`)}' | sort -u`],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return stdout.split('\n').filter((l) => l !== '');
}

/** jq expression: eventTime in [since, until) (CloudTrail's canonical form compares as text). */
export function inWindow(since: string, until: string): string {
  return `(.eventTime >= "${since}" and .eventTime < "${until}")`;
}

/** Every CloudTrail log file (not digest/insight/foreign) below `dir`. */
export async function cloudTrailFiles(dir: string): Promise<string[]> {
  const { stdout } = await run('find', [
    dir,
    '-type',
    'f',
    '-path',
    '*/CloudTrail/*',
    '-name',
    '*_CloudTrail_*',
  ]);
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}
