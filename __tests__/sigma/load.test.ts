/**
 * Loading rules as `--rules` names them: files, folders (recursively), globs, built-in packs;
 * multi-document files and Sigma 1 collections; and the mistakes a user can make, each a
 * ConfigurationError naming the input.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { globMatcher, loadRulePack, loadRuleSources } from '../../src/sigma/load.js';
import { parseRuleSource } from '../../src/sigma/parse.js';

const rule = (id: string, eventName: string): string =>
  `title: ${eventName}\nid: ${id}\nlevel: medium\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        eventName: ${eventName}\n    condition: sel\n`;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sigma-load-'));
  mkdirSync(path.join(dir, 'detections/iam'), { recursive: true });
  mkdirSync(path.join(dir, 'detections/.hidden'), { recursive: true });
  writeFileSync(
    path.join(dir, 'detections/stop.yml'),
    rule('a0000000-0000-4000-8000-000000000001', 'StopLogging'),
  );
  writeFileSync(
    path.join(dir, 'detections/iam/user.yaml'),
    rule('a0000000-0000-4000-8000-000000000002', 'CreateUser'),
  );
  writeFileSync(path.join(dir, 'detections/iam/notes.txt'), 'not a rule');
  writeFileSync(
    path.join(dir, 'detections/.hidden/x.yml'),
    rule('a0000000-0000-4000-8000-000000000003', 'Hidden'),
  );
  writeFileSync(
    path.join(dir, 'multi.yml'),
    `${rule('a0000000-0000-4000-8000-000000000004', 'DeleteTrail')}---\n${rule('a0000000-0000-4000-8000-000000000005', 'UpdateTrail')}`,
  );
  writeFileSync(path.join(dir, 'broken.yml'), 'title: x\ndetection: [unclosed\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ids(specs: string[]): Promise<string[]> {
  const pack = await loadRulePack(specs, { cwd: dir });
  return pack.rules.map((r) => r.id.slice(-1));
}

async function configError(specs: string[]): Promise<ConfigurationError> {
  const error = await loadRulePack(specs, { cwd: dir }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
}

describe('loadRulePack', () => {
  it('a file, relative to cwd', async () => {
    expect(await ids(['detections/stop.yml'])).toEqual(['1']);
  });

  it('a folder: every .yml/.yaml below it, sorted, hidden folders included when named by the folder walk', async () => {
    // A folder walk takes every rule file below it (the user named the folder).
    expect(await ids(['detections'])).toEqual(['3', '2', '1']);
  });

  it('a glob: ** any folders, * within a name; names starting with a dot need an explicit dot', async () => {
    expect(await ids(['detections/**/*.yml'])).toEqual(['1']);
    expect(await ids(['detections/**/*.y*ml'])).toEqual(['2', '1']);
    expect(await ids(['detections/*/*.yaml'])).toEqual(['2']);
    expect(await ids(['detections/.hidden/*.yml'])).toEqual(['3']);
  });

  it('a multi-document file gives one rule per document', async () => {
    expect(await ids(['multi.yml'])).toEqual(['4', '5']);
  });

  it('a file named twice (a folder and a glob) is loaded once', async () => {
    expect(
      await ids(['detections/stop.yml', 'detections/**/*.yml', path.join(dir, 'detections/stop.yml')]),
    ).toEqual(['1']);
  });

  it('built-in packs by name, and builtin:all', async () => {
    const one = await loadRulePack(['builtin:trail-tampering'], { cwd: dir });
    expect(one.rules.every((r) => r.file === 'builtin:trail-tampering')).toBe(true);
    const all = await loadRulePack(['builtin:all', 'builtin:root-usage'], { cwd: dir });
    expect(new Set(all.rules.map((r) => r.file))).toEqual(
      new Set([
        'builtin:trail-tampering',
        'builtin:root-usage',
        'builtin:iam-persistence',
        'builtin:credential-access',
      ]),
    );
  });

  it('mistakes are ConfigurationErrors that name the input and the fix', async () => {
    expect((await configError(['nope.yml'])).message).toMatch(/--rules: "nope\.yml" does not exist/);
    expect((await configError(['detections/**/*.json'])).message).toMatch(/matches no file/);
    expect((await configError(['builtin:nope'])).message).toMatch(
      /no built-in pack "nope".*builtin:trail-tampering/,
    );
    expect((await configError([' '])).message).toMatch(/no rules given/);
    const broken = await configError(['broken.yml']);
    expect(broken.message).toMatch(/broken\.yml.*not valid YAML/);
    expect(broken.field).toBe('rule file "broken.yml"');
  });

  it('the field in errors can be the Action input', async () => {
    const error = await loadRuleSources(['nope.yml'], { cwd: dir, field: 'rules' }).catch((e: unknown) => e);
    expect((error as ConfigurationError).field).toBe('rules');
  });
});

describe('parseRuleSource', () => {
  it('Sigma 1 collections: action global is merged into each rule, reset forgets it, repeat reuses the previous rule', () => {
    const text = [
      'action: global\nlogsource:\n    product: aws\n    service: cloudtrail\nlevel: high\ndetection:\n    condition: sel',
      'title: one\nid: b0000000-0000-4000-8000-000000000001\ndetection:\n    sel:\n        eventName: StopLogging',
      'action: repeat\ntitle: two\nid: b0000000-0000-4000-8000-000000000002\ndetection:\n    sel:\n        eventName: DeleteTrail',
      'action: reset',
      'title: three\nid: b0000000-0000-4000-8000-000000000003\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        eventName: X\n    condition: sel',
    ].join('\n---\n');
    const rules = parseRuleSource({ file: 'c.yml', text });
    expect(rules.map((r) => [r.title, r.level, r.logsource.service, r.detection])).toEqual([
      ['one', 'high', 'cloudtrail', { condition: 'sel', sel: { eventName: 'StopLogging' } }],
      ['two', 'high', 'cloudtrail', { condition: 'sel', sel: { eventName: 'DeleteTrail' } }],
      ['three', undefined, 'cloudtrail', { sel: { eventName: 'X' }, condition: 'sel' }],
    ]);
  });

  it("a document that is not a rule, or an unknown level, is the user's mistake", () => {
    expect(() => parseRuleSource({ file: 'x.yml', text: 'title: no detection\n' })).toThrow(
      /x\.yml.*no "detection"/,
    );
    expect(() => parseRuleSource({ file: 'x.yml', text: '- a\n- b\n' })).toThrow(/not a Sigma rule/);
    expect(() =>
      parseRuleSource({
        file: 'x.yml',
        text: rule('c0000000-0000-4000-8000-000000000001', 'A').replace('level: medium', 'level: urgent'),
      }),
    ).toThrow(/unknown level "urgent".*informational, low, medium, high, critical/);
  });

  it('a rule without an id is named by its file and document', () => {
    const [r] = parseRuleSource({ file: 'f.yml', text: rule('x', 'A').replace('id: x\n', '') });
    expect(r!.id).toBe('f.yml#1');
  });
});

describe('rule globs (picomatch)', () => {
  it.each([
    ['**/*.yml', 'a.yml', true],
    ['**/*.yml', 'x/y/a.yml', true],
    ['**/*.yml', 'x/.git/a.yml', false],
    ['*.yml', 'x/a.yml', false],
    ['aws_*.yml', 'aws_root.yml', true],
    ['aws_?oot.yml', 'aws_root.yml', true],
    ['[ab]*.yml', 'b.yml', true],
    ['[!ab]*.yml', 'b.yml', false],
    ['a+b.yml', 'a+b.yml', true],
    ['a+b.yml', 'aab.yml', false],
    ['{root,iam}/*.yml', 'iam/a.yml', true],
    ['{root,iam}/*.yml', 'ec2/a.yml', false],
    ['\\*.yml', '*.yml', true],
    ['\\*.yml', 'a.yml', false],
    ['.hidden/*.yml', '.hidden/a.yml', true],
  ])('%s ~ %s = %s', (glob, file, expected) => {
    expect(globMatcher(glob)(file)).toBe(expected);
  });

  it('the folder used here is what the tests think it is', () => {
    expect(readdirSync(path.join(dir, 'detections')).sort()).toEqual(['.hidden', 'iam', 'stop.yml']);
  });
});
