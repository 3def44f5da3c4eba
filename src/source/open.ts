/**
 * From an Investigation's source to the objects the scan engine reads: a local folder, an
 * `s3://` location, or trails resolved to their bucket and prefix (cloudtrail:DescribeTrails).
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { Investigation } from '../investigation.js';
import { baseClientConfig, createS3Client, defaultRegion } from '../aws/clients.js';
import type { ScanItem, ScanPlan } from '../engines/scan/engine.js';
import { DELIVERY_LAG_MS } from './layout.js';
import { LocalStore } from './local-store.js';
import { planObjects, type Plan, type PlanRoot } from './planner.js';
import { S3Store } from './s3-store.js';
import { describeTrail } from './trail.js';
import type { ObjectStore } from './types.js';

interface Target {
  store: ObjectStore;
  root: PlanRoot;
}

async function targets(inv: Investigation): Promise<Target[]> {
  const { source, credentials } = inv;
  if (source.kind === 'local') {
    return [{ store: await LocalStore.open(source.path), root: { kind: 'local', prefix: '' } }];
  }
  const s3 = createS3Client(credentials);
  if (source.kind === 's3') {
    return [
      {
        store: new S3Store({ client: s3, bucket: source.bucket }),
        root: { kind: 's3', prefix: source.prefix },
      },
    ];
  }
  const region = defaultRegion(credentials);
  const clients = new Map<string, CloudTrailClient>();
  const cloudtrail = (r: string) => {
    let c = clients.get(r);
    if (!c) clients.set(r, (c = new CloudTrailClient(baseClientConfig(credentials, r))));
    return c;
  };
  const seen = new Set<string>();
  const found: Target[] = [];
  for (const ref of source.trails) {
    const trail = await describeTrail(ref, { cloudtrail, defaultRegion: region });
    const id = `${trail.bucket}/${trail.prefix}`;
    if (seen.has(id)) continue;
    seen.add(id);
    found.push({
      store: new S3Store({ client: s3, bucket: trail.bucket }),
      root: { kind: 's3', prefix: trail.prefix },
    });
  }
  return found;
}

/** Plans every location of the investigation, one after the other, in key order within each. */
export async function openScanPlan(inv: Investigation): Promise<ScanPlan> {
  const list = await targets(inv);
  const scope = { window: inv.window, regions: inv.regions, accounts: inv.accounts, lagMs: DELIVERY_LAG_MS };
  const plans: Plan[] = [];
  async function* objects(): AsyncGenerator<ScanItem> {
    for (const target of list) {
      const plan = planObjects(target.store, target.root, scope);
      plans.push(plan);
      for await (const object of plan.objects) yield { store: target.store, object };
    }
  }
  return {
    objects: objects(),
    stats: () => {
      const all = plans.map((p) => p.stats());
      return {
        listed: all.reduce((n, s) => n + s.listed, 0),
        selected: all.reduce((n, s) => n + s.selected, 0),
        skipped: all.reduce((n, s) => n + s.skipped, 0),
        prefixes: all.flatMap((s) => s.prefixes),
      };
    },
    warnings: () => [...new Set(plans.flatMap((p) => p.warnings()))],
  };
}
