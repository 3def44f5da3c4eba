/**
 * From an Investigation's source to the objects the scan engine reads: a local folder, an
 * `s3://` location, or trails resolved to their bucket and prefix (cloudtrail:DescribeTrails).
 */
import type { Investigation } from '../investigation.js';
import type { PlanOpenOptions, ScanItem, ScanPlan } from '../engines/scan/engine.js';
import { DELIVERY_LAG_MS } from './layout.js';
import { LocalStore } from './local-store.js';
import { planObjects, type Plan, type PlanScope } from './planner.js';
import type { Target } from './s3-targets.js';

async function targets(inv: Investigation): Promise<Target[]> {
  const { source, credentials } = inv;
  if (source.kind === 'local') {
    return [{ store: await LocalStore.open(source.path), root: { kind: 'local', prefix: '' } }];
  }
  // Imported here, not above: a local folder's search never loads the AWS SDK, most of the bundle
  // (start-up time). "eager" keeps the module in the one bundle file; it is evaluated only now.
  const { s3Targets } = await import(/* webpackMode: "eager" */ './s3-targets.js');
  return s3Targets(source, credentials);
}

/** Plans every location of the investigation, one after the other, in key order within each. */
export async function openScanPlan(
  inv: Investigation,
  { signal, onLogFile }: PlanOpenOptions = {},
): Promise<ScanPlan> {
  const list = await targets(inv);
  const scope: PlanScope = {
    window: inv.window,
    regions: inv.regions,
    accounts: inv.accounts,
    lagMs: DELIVERY_LAG_MS,
    ...(inv.delivery ? { delivery: inv.delivery } : {}),
    ...(onLogFile ? { onLogFile } : {}),
  };
  const plans: Plan[] = [];
  async function* objects(): AsyncGenerator<ScanItem> {
    for (const target of list) {
      const plan = planObjects(target.store, target.root, scope, signal ? { signal } : {});
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
