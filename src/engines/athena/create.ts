/** The Athena engine wired with real AWS clients (built from the investigation's credentials). */
import type { Logger } from '../../logger.js';
import type { Investigation } from '../../investigation.js';
import { AthenaEngine } from './engine.js';
import type { AthenaPlan } from './plan.js';

export function createAthenaEngine(logger: Logger, reason: string): AthenaEngine {
  return new AthenaEngine({ logger, engineReason: reason });
}

/** The dry-run plan: discovery only (DescribeTrails, GetBucketLocation, listing), no query run. */
export async function planAthenaRun(
  inv: Investigation,
  logger: Logger,
  reason: string,
): Promise<AthenaPlan & { engineReason: string }> {
  const plan = await createAthenaEngine(logger, reason).plan(inv);
  return { ...plan, engineReason: reason };
}
