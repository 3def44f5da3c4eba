import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DELIVERY_LAG_MS } from '../../src/source/layout.js';
import { LocalStore } from '../../src/source/local-store.js';
import { planObjects } from '../../src/source/planner.js';
import type { PlanScope } from '../../src/source/planner.js';
import type { PlannedObject } from '../../src/source/types.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const invictus = path.resolve(repoRoot, '../shared/data/invictus-aws-dataset/CloudTrail');

async function drain(objects: AsyncIterable<PlannedObject>): Promise<PlannedObject[]> {
  const out: PlannedObject[] = [];
  for await (const o of objects) out.push(o);
  return out;
}

/** Independent count: `ls` the folder, cut the `YYYYMMDDTHHmmZ` stamp out of each name, compare strings. */
function namesStampedBetween(lowest: string, highest: string): string[] {
  return execFileSync('ls', ['-1', invictus], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => {
      const stamp = name.split('_')[3];
      return stamp !== undefined && stamp >= lowest && stamp <= highest;
    })
    .sort();
}

const scope = (since: string, until: string, extra: Partial<PlanScope> = {}): PlanScope => ({
  window: { since: new Date(since), until: new Date(until) },
  regions: 'all',
  accounts: 'all',
  lagMs: 0,
  ...extra,
});

describe('LocalStore + planner over the Invictus logs (55 real files)', () => {
  it('lists every file in key order with its size', async () => {
    const store = await LocalStore.open(invictus);
    const listed = [];
    for await (const o of store.list('')) listed.push(o);
    const expected = execFileSync('find', [invictus, '-type', 'f', '-printf', '%f %s\n'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map((line) => {
        const [key, size] = line.split(' ');
        return { key: key as string, size: Number(size) };
      })
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(expected).toHaveLength(55);
    expect(listed).toEqual(expected);
  });

  it.each([
    // [since, until, lagMs, lowest stamp kept, highest stamp kept]
    ['2023-07-10T12:00:00Z', '2023-07-10T12:10:00Z', 0, '20230710T1200Z', '20230710T1210Z'],
    ['2023-07-10T12:00:00Z', '2023-07-10T12:10:00Z', DELIVERY_LAG_MS, '20230710T1200Z', '20230710T1310Z'],
    ['2023-07-10T11:00:00Z', '2023-07-10T11:45:00Z', 0, '20230710T1100Z', '20230710T1145Z'],
    ['2023-07-10T12:37:30Z', '2023-07-10T13:00:00Z', 0, '20230710T1237Z', '20230710T1300Z'],
    ['2023-07-10T12:06:00Z', '2023-07-10T12:20:00Z', 0, '20230710T1206Z', '20230710T1220Z'],
    ['2023-07-10T00:00:00Z', '2023-07-11T00:00:00Z', DELIVERY_LAG_MS, '20230710T0000Z', '20230711T0100Z'],
  ] as const)(
    'window %s .. %s (lag %d ms) selects the files stamped %s .. %s',
    async (since, until, lagMs, lowest, highest) => {
      const plan = planObjects(
        await LocalStore.open(invictus),
        { kind: 'local', prefix: '' },
        scope(since, until, { lagMs }),
      );
      const selected = await drain(plan.objects);
      const expected = namesStampedBetween(lowest, highest);
      expect(selected.map((o) => o.key)).toEqual(expected);
      expect(plan.stats()).toMatchObject({
        listed: 55,
        selected: expected.length,
        skipped: 55 - expected.length,
      });
      for (const o of selected) {
        expect(o).toMatchObject({ account: '218007301253', region: 'us-east-1' });
        expect(o.delivered).toBeInstanceOf(Date);
      }
    },
  );

  it('the window tests above are not vacuous', () => {
    expect(namesStampedBetween('20230710T1200Z', '20230710T1210Z').length).toBeGreaterThan(0);
    expect(namesStampedBetween('20230710T1200Z', '20230710T1210Z').length).toBeLessThan(
      namesStampedBetween('20230710T1200Z', '20230710T1310Z').length,
    );
  });

  it('prunes by region and account, and warns about what the folder does not hold', async () => {
    const store = await LocalStore.open(invictus);
    const all = scope('2023-07-10T00:00:00Z', '2023-07-11T00:00:00Z');
    const byRegion = planObjects(store, { kind: 'local', prefix: '' }, { ...all, regions: ['eu-west-1'] });
    expect(await drain(byRegion.objects)).toEqual([]);
    expect(byRegion.stats()).toMatchObject({ listed: 55, selected: 0, skipped: 55 });
    const warnings = byRegion.warnings();
    expect(warnings.some((w) => w.includes('us-east-1') && w.includes('global-service'))).toBe(true);
    expect(warnings.some((w) => w.includes('eu-west-1') && w.includes('regions found: us-east-1'))).toBe(
      true,
    );

    const byAccount = planObjects(
      store,
      { kind: 'local', prefix: '' },
      { ...all, accounts: ['111122223333'] },
    );
    expect(await drain(byAccount.objects)).toEqual([]);
    expect(byAccount.warnings()).toEqual([expect.stringContaining('111122223333')]);

    const matching = planObjects(
      store,
      { kind: 'local', prefix: '' },
      { ...all, regions: ['us-east-1'], accounts: ['218007301253'] },
    );
    expect((await drain(matching.objects)).length).toBe(55);
    expect(matching.warnings()).toEqual([]);
  });

  it('opens a single file as a store of one object', async () => {
    const file = path.join(
      invictus,
      '218007301253_CloudTrail_us-east-1_20230710T1205Z_1dM7GQM67kudSyGD.json',
    );
    const store = await LocalStore.open(file);
    const inWindow = await drain(
      planObjects(store, { kind: 'local', prefix: '' }, scope('2023-07-10T12:00:00Z', '2023-07-10T12:05:00Z'))
        .objects,
    );
    expect(inWindow.map((o) => o.key)).toEqual([path.basename(file)]);
    expect(Buffer.from(await store.get(path.basename(file))).equals(readFileSync(file))).toBe(true);
    const outside = await drain(
      planObjects(store, { kind: 'local', prefix: '' }, scope('2023-07-10T12:06:00Z', '2023-07-10T13:00:00Z'))
        .objects,
    );
    expect(outside).toEqual([]);
  });
});

describe('LocalStore + planner over a mixed folder', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'local-planner-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const log = (acct: string, region: string, stamp: string) =>
    `${acct}_CloudTrail_${region}_${stamp}_abcdefghijklmnop.json.gz`;
  const files: Record<string, string> = {
    // S3 layout copied locally
    [`bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/29/${log('111122223333', 'us-east-1', '20240229T1000Z')}`]:
      'a',
    [`bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/29/${log('111122223333', 'us-east-1', '20240229T0800Z')}`]:
      'b',
    [`bucket/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/02/29/${log('111122223333', 'eu-west-1', '20240229T1000Z')}`]:
      'c',
    [`bucket/AWSLogs/o-abcdefghij/444455556666/CloudTrail/us-east-1/2024/02/29/${log('444455556666', 'us-east-1', '20240229T1010Z')}`]:
      'd',
    [`bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/02/29/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240229T100000Z.json.gz`]:
      'e',
    [`bucket/AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/02/29/111122223333_CloudTrail-Insight_us-east-1_20240229T1000Z_abcdefghijklmnop.json.gz`]:
      'f',
    [`bucket/AWSLogs/111122223333/Config/us-east-1/2024/2/29/ConfigHistory/111122223333_Config_us-east-1_ConfigHistory_x.json.gz`]:
      'g',
    [`bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/29/notes.txt`]: 'h',
    // a folder of region folders
    [`regions/us-east-1/${log('111122223333', 'us-east-1', '20240229T1005Z')}`]: 'i',
    // generic event files: read whole
    'exports/events.jsonl': 'j',
    'exports/more.json.gz': 'k',
    'exports/readme.md': 'l',
    'a-b.json': 'm', // sorts before the a/ folder, as S3 would
    'a/c.json': 'n',
  };
  for (const [key, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, key)), { recursive: true });
    writeFileSync(path.join(root, key), body);
  }
  symlinkSync(root, path.join(root, 'regions', 'loop')); // a symlink loop must not hang the walk

  const window = { since: new Date('2024-02-29T09:30:00Z'), until: new Date('2024-02-29T10:30:00Z') };

  it('lists keys in byte order and does not follow the symlink loop', async () => {
    const store = await LocalStore.open(root);
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    const expected = Object.keys(files).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    // regions/loop points back at root, an ancestor: the walk does not enter it.
    expect(keys).toEqual(expected);
  });

  it('selects logs in scope and generic JSON files; skips digests, Insight, Config and the rest', async () => {
    const store = await LocalStore.open(root);
    const plan = planObjects(
      store,
      { kind: 'local', prefix: '' },
      { window, regions: 'all', accounts: 'all', lagMs: 0 },
    );
    const keys = (await drain(plan.objects)).map((o) => o.key);
    expect(keys).toEqual([
      'a-b.json',
      'a/c.json',
      `bucket/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/02/29/${log('111122223333', 'eu-west-1', '20240229T1000Z')}`,
      `bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/29/${log('111122223333', 'us-east-1', '20240229T1000Z')}`,
      `bucket/AWSLogs/o-abcdefghij/444455556666/CloudTrail/us-east-1/2024/02/29/${log('444455556666', 'us-east-1', '20240229T1010Z')}`,
      'exports/events.jsonl',
      'exports/more.json.gz',
      `regions/us-east-1/${log('111122223333', 'us-east-1', '20240229T1005Z')}`,
    ]);
    const total = Object.keys(files).length;
    expect(plan.stats()).toMatchObject({ listed: total, selected: 8, skipped: total - 8 });
    expect(plan.found()).toEqual({
      accounts: ['111122223333', '444455556666'],
      regions: ['eu-west-1', 'us-east-1'],
    });
  });

  it('walks only under a prefix and filters by account', async () => {
    const store = await LocalStore.open(root);
    const plan = planObjects(
      store,
      { kind: 'local', prefix: 'bucket/AWSLogs' },
      { window, regions: ['us-east-1'], accounts: ['444455556666'], lagMs: 0 },
    );
    expect((await drain(plan.objects)).map((o) => o.key)).toEqual([
      `bucket/AWSLogs/o-abcdefghij/444455556666/CloudTrail/us-east-1/2024/02/29/${log('444455556666', 'us-east-1', '20240229T1010Z')}`,
    ]);
    expect(plan.stats().listed).toBe(
      Object.keys(files).filter((k) => k.startsWith('bucket/AWSLogs/')).length,
    );
  });

  it('lists sub-folders and reads files', async () => {
    const store = await LocalStore.open(root);
    expect(await store.listFolders('bucket/AWSLogs/')).toEqual([
      'bucket/AWSLogs/111122223333/',
      'bucket/AWSLogs/o-abcdefghij/',
    ]);
    expect(Buffer.from(await store.get('exports/events.jsonl')).toString()).toBe('j');
    await expect(store.get('../outside')).rejects.toThrow(/outside/);
  });
});
