/**
 * The engine a search runs with. Asked for by name, a local folder, or a filter only the scan
 * engine can run: the rule in select.ts. Otherwise (`auto` over S3 or trails) by cost: a sample
 * of the location is listed (layout-sample.ts), both engines' time and dollars are estimated
 * (cost-model.ts), and the reason shows the figures. When the sample cannot be listed, the
 * window rule decides and the reason says why.
 */
import { ConfigurationError, errorMessage } from '../errors.js';
import type { Investigation } from '../investigation.js';
import type { Logger } from '../logger.js';
import { DELIVERY_LAG_MS } from '../source/layout.js';
import { chooseByCost, describeChoice, type CostChoice, type LayoutEstimate } from './cost-model.js';
import { sampleLayout } from './layout-sample.js';
import { athenaCannotRun, chooseEngine, type EngineChoice } from './select.js';

export interface EstimatedChoice extends EngineChoice {
  /** Set when the choice was made by cost. */
  estimate?: { layout: LayoutEstimate; scan: CostChoice['scan']; athena: CostChoice['athena'] };
}

/** How the layout is sampled; tests and dry runs use the default (the investigation's S3 targets). */
export type LayoutSampler = (inv: Investigation, signal?: AbortSignal) => Promise<LayoutEstimate>;

const sampleS3: LayoutSampler = async (inv, signal) => {
  if (inv.source.kind === 'local') throw new Error('a local folder is not sampled');
  // Imported here, not above: a local folder's search never loads the AWS SDK (see open.ts).
  const { s3Targets } = await import(/* webpackMode: "eager" */ '../source/s3-targets.js');
  const targets = await s3Targets(inv.source, inv.credentials);
  return sampleLayout(
    targets,
    { window: inv.window, regions: inv.regions, accounts: inv.accounts, lagMs: DELIVERY_LAG_MS },
    signal,
  );
};

export async function chooseEngineForSearch(
  inv: Investigation,
  logger: Logger,
  options: { signal?: AbortSignal; sample?: LayoutSampler } = {},
): Promise<EstimatedChoice> {
  if (inv.engine !== 'auto' || inv.source.kind === 'local' || athenaCannotRun(inv.query) !== undefined) {
    return chooseEngine(inv);
  }
  let layout: LayoutEstimate;
  try {
    layout = await (options.sample ?? sampleS3)(inv, options.signal);
  } catch (err) {
    const rule = chooseEngine(inv);
    // Cancelled while sampling: the search goes on to end at once, incomplete, like any other.
    if (options.signal?.aborted) return { ...rule, reason: `${rule.reason} (no estimate: cancelled)` };
    // A mistake in the settings (exit 2) is the user's to fix, not a reason to guess.
    if (err instanceof ConfigurationError) throw err;
    logger.debug(`Engine estimate failed: ${errorMessage(err)}`);
    return { ...rule, reason: `${rule.reason} (no estimate: listing a sample failed: ${errorMessage(err)})` };
  }
  const choice = chooseByCost(layout, inv.athena.concurrency);
  return {
    engine: choice.engine,
    reason: describeChoice(choice, layout),
    estimate: { layout, scan: choice.scan, athena: choice.athena },
  };
}
