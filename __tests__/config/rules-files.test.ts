/**
 * `--rules` files that are not rule files: devices, FIFOs, huge files and YAML that expands past
 * its limits are refused as configuration errors (exit 2) naming the file, before anything is
 * searched; anything else the loader trips on is a configuration error too, never a raw failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { attachRules, MAX_RULE_FILE_BYTES } from '../../src/config/rules.js';
import { ConfigurationError } from '../../src/errors.js';
import type { Investigation } from '../../src/investigation.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ct-rules-files-'));
const RULE = [
  'title: t',
  'logsource: {product: aws, service: cloudtrail}',
  'detection: {sel: {eventName: X}, condition: sel}',
];

function nestedBomb(): string {
  const lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(',')}]`,
    );
  return [...RULE, ...lines].join('\n');
}

async function refusal(spec: string): Promise<ConfigurationError> {
  try {
    await attachRules({} as Investigation, { rules: [spec] }, dir);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error(`${spec} was accepted`);
}

describe('--rules refuses what is not a rule file, naming it', () => {
  it('a device and a FIFO (never read: they would not end)', async () => {
    expect((await refusal('/dev/zero')).message).toMatch(/--rules: \/dev\/zero is not a regular file/);
    execFileSync('mkfifo', [path.join(dir, 'pipe.yml')]);
    expect((await refusal('pipe.yml')).message).toMatch(/pipe\.yml is not a regular file/);
  });

  it('a file over the size limit', async () => {
    writeFileSync(path.join(dir, 'huge.yml'), `${RULE.join('\n')}\n#${'x'.repeat(MAX_RULE_FILE_BYTES)}\n`);
    expect((await refusal('huge.yml')).message).toMatch(
      /huge\.yml is 1\.0 MB, larger than a rule file may be \(1 MiB\)/,
    );
  });

  it('alias bombs: nested anchors, a long string aliased, in a second document', async () => {
    writeFileSync(path.join(dir, 'nested.yml'), nestedBomb());
    writeFileSync(
      path.join(dir, 'string.yml'),
      `${RULE.join('\n')}\na: &a "${'x'.repeat(40_000)}"\nb: [${Array(99).fill('*a').join(',')}]`,
    );
    writeFileSync(path.join(dir, 'second.yml'), `${RULE.join('\n')}\n---\n${nestedBomb()}`);
    for (const name of ['nested.yml', 'string.yml', 'second.yml']) {
      const start = Date.now();
      expect((await refusal(name)).message).toMatch(
        new RegExp(`${name.replace('.', '\\.')}"? cannot be read: it expands YAML aliases`),
      );
      expect(Date.now() - start).toBeLessThan(5_000);
    }
  });

  it('a bomb inside a folder of rules is still a configuration error, not a crash', async () => {
    mkdirSync(path.join(dir, 'pack'));
    writeFileSync(path.join(dir, 'pack', 'a.yml'), nestedBomb());
    expect((await refusal('pack')).message).toMatch(/pack\/a\.yml"? cannot be read: it expands YAML aliases/);
  });

  it('files found through a folder or a glob are held to the same limits as files named directly', async () => {
    mkdirSync(path.join(dir, 'big-pack'));
    writeFileSync(path.join(dir, 'big-pack', 'ok.yml'), RULE.join('\n'));
    writeFileSync(
      path.join(dir, 'big-pack', 'z.yml'),
      `${RULE.join('\n')}\n#${'x'.repeat(MAX_RULE_FILE_BYTES)}\n`,
    );
    expect((await refusal('big-pack')).message).toMatch(
      /big-pack\/z\.yml is 1\.0 MB, larger than a rule file may be/,
    );
    expect((await refusal('big-pack/*.yml')).message).toMatch(/big-pack\/z\.yml is 1\.0 MB/);
    mkdirSync(path.join(dir, 'latin1'));
    writeFileSync(
      path.join(dir, 'latin1', 'r.yml'),
      Buffer.from([0x74, 0x69, 0x74, 0x6c, 0x65, 0x3a, 0x20, 0xe9, 0x0a]),
    );
    expect((await refusal('latin1')).message).toMatch(/latin1\/r\.yml cannot be read as UTF-8 text/);
  });

  it('a plain rule file is accepted', async () => {
    writeFileSync(path.join(dir, 'ok.yml'), RULE.join('\n'));
    const inv = await attachRules({} as Investigation, { rules: ['ok.yml'] }, dir);
    expect(inv.rules?.rules).toHaveLength(1);
  });
});
