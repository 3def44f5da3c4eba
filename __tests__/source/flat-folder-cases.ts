/**
 * LocalStore + planner over a flat folder of delivered CloudTrail files (real file names, several
 * files per 5-minute stamp, one account and region, stamped 2023-07-10 between about 11:40 and
 * 12:40Z). Run on the in-repository folder shaped like the Invictus logs (local-planner.test.ts)
 * and on the Invictus logs themselves (local-planner.corpus.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DELIVERY_LAG_MS } from '../../src/source/layout.js';
import { LocalStore } from '../../src/source/local-store.js';
import { planObjects } from '../../src/source/planner.js';
import type { PlanScope } from '../../src/source/planner.js';
import type { PlannedObject } from '../../src/source/types.js';

export interface FlatFolder {
  dir: () => string;
  account: string;
  region: string;
  /** How many files the folder holds (checked against `find`, so a wrong folder fails loudly). */
  files: number;
  /** A file whose stamp is on a 5-minute mark, e.g. `..._20230710T1205Z_...json`. */
  single: () => string;
}

export async function drain(objects: AsyncIterable<PlannedObject>): Promise<PlannedObject[]> {
  const out: PlannedObject[] = [];
  for await (const o of objects) out.push(o);
  return out;
}

export const scope = (since: string, until: string, extra: Partial<PlanScope> = {}): PlanScope => ({
  window: { since: new Date(since), until: new Date(until) },
  regions: 'all',
  accounts: 'all',
  lagMs: 0,
  ...extra,
});

/** `YYYYMMDDTHHmmZ` of an ISO time, plus `minutes`. */
function stampOf(iso: string, minutes = 0): string {
  const d = new Date(new Date(iso).getTime() + minutes * 60_000).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}T${d.slice(11, 13)}${d.slice(14, 16)}Z`;
}

/** The checks; call inside a `describe`. */
export function flatFolderCases(folder: FlatFolder): void {
  /** Independent count: `ls` the folder, cut the `YYYYMMDDTHHmmZ` stamp out of each name, compare strings. */
  function namesStampedBetween(lowest: string, highest: string): string[] {
    return execFileSync('ls', ['-1', folder.dir()], { encoding: 'utf8' })
      .split('\n')
      .filter((name) => {
        const stamp = name.split('_')[3];
        return stamp !== undefined && stamp >= lowest && stamp <= highest;
      })
      .sort();
  }

  it('lists every file in key order with its size', async () => {
    const store = await LocalStore.open(folder.dir());
    const listed = [];
    for await (const o of store.list('')) listed.push(o);
    const expected = execFileSync('find', [folder.dir(), '-type', 'f', '-printf', '%f %s\n'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map((line) => {
        const [key, size] = line.split(' ');
        return { key: key as string, size: Number(size) };
      })
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(expected).toHaveLength(folder.files);
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
        await LocalStore.open(folder.dir()),
        { kind: 'local', prefix: '' },
        scope(since, until, { lagMs }),
      );
      const selected = await drain(plan.objects);
      const expected = namesStampedBetween(lowest, highest);
      expect(selected.map((o) => o.key)).toEqual(expected);
      expect(plan.stats()).toMatchObject({
        listed: folder.files,
        selected: expected.length,
        skipped: folder.files - expected.length,
      });
      for (const o of selected) {
        expect(o).toMatchObject({ account: folder.account, region: folder.region });
        expect(o.delivered).toBeInstanceOf(Date);
      }
    },
  );

  it('the window tests above are not vacuous', () => {
    // Files stamped exactly on the window's end are there, and the delivery lag adds more.
    expect(namesStampedBetween('20230710T1210Z', '20230710T1210Z').length).toBeGreaterThan(1);
    expect(namesStampedBetween('20230710T1200Z', '20230710T1210Z').length).toBeLessThan(
      namesStampedBetween('20230710T1200Z', '20230710T1310Z').length,
    );
  });

  it('prunes by region and account, and warns about what the folder does not hold', async () => {
    const store = await LocalStore.open(folder.dir());
    const all = scope('2023-07-10T00:00:00Z', '2023-07-11T00:00:00Z');
    const byRegion = planObjects(store, { kind: 'local', prefix: '' }, { ...all, regions: ['eu-west-1'] });
    expect(await drain(byRegion.objects)).toEqual([]);
    expect(byRegion.stats()).toMatchObject({ listed: folder.files, selected: 0, skipped: folder.files });
    const warnings = byRegion.warnings();
    expect(warnings.some((w) => w.includes('us-east-1') && w.includes('global-service'))).toBe(true);
    expect(
      warnings.some((w) => w.includes('eu-west-1') && w.includes(`regions found: ${folder.region}`)),
    ).toBe(true);

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
      { ...all, regions: [folder.region], accounts: [folder.account] },
    );
    expect((await drain(matching.objects)).length).toBe(folder.files);
    expect(matching.warnings()).toEqual([]);
  });

  it('opens a single file as a store of one object', async () => {
    const file = path.join(folder.dir(), folder.single());
    // The stamp in the name, as an ISO time: the file is selected by a window ending on it.
    const s = folder.single().split('_')[3]!;
    const stamp = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:00Z`;
    expect(stampOf(stamp)).toBe(s);
    const store = await LocalStore.open(file);
    const before = new Date(new Date(stamp).getTime() - 5 * 60_000).toISOString();
    const inWindow = await drain(
      planObjects(store, { kind: 'local', prefix: '' }, scope(before, stamp)).objects,
    );
    expect(inWindow.map((o) => o.key)).toEqual([path.basename(file)]);
    expect(Buffer.from(await store.get(path.basename(file))).equals(readFileSync(file))).toBe(true);
    const after = new Date(new Date(stamp).getTime() + 60_000).toISOString();
    const later = new Date(new Date(stamp).getTime() + 55 * 60_000).toISOString();
    const outside = await drain(
      planObjects(store, { kind: 'local', prefix: '' }, scope(after, later)).objects,
    );
    expect(outside).toEqual([]);
  });
}
