import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/source/local-store.js';
import { planObjects } from '../../src/source/planner.js';
import { FLAT_ACCOUNT, FLAT_REGION, flatTrail } from '../helpers/corpus-like.js';
import { drain, flatFolderCases } from './flat-folder-cases.js';

describe('LocalStore + planner over a flat folder of delivered files (in-repo, shaped like the Invictus logs)', () => {
  flatFolderCases({
    dir: flatTrail,
    account: FLAT_ACCOUNT,
    region: FLAT_REGION,
    files: 24,
    single: () => `${FLAT_ACCOUNT}_CloudTrail_${FLAT_REGION}_20230710T1205Z_O0KCLLe1j6UMsHq0.json`,
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
