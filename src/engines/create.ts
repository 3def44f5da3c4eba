/** The engine for a choice: the only place that knows every engine. */
import type { Logger } from '../logger.js';
import type { Engine } from './types.js';
import type { EngineChoice } from './select.js';
import { ScanEngine } from './scan/engine.js';
import { openScanPlan } from '../source/open.js';

export async function createEngine(choice: EngineChoice, logger: Logger): Promise<Engine> {
  if (choice.engine === 'scan') return new ScanEngine(openScanPlan, logger, choice.reason);
  // Imported here, not above: only an Athena run loads the AWS SDK, most of the bundle (start-up
  // time). "eager" keeps the module in the one bundle file; it is still evaluated only now.
  const { createAthenaEngine } = await import(/* webpackMode: "eager" */ './athena/create.js');
  return createAthenaEngine(logger, choice.reason);
}
