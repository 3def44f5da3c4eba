/** The engine for a choice: the only place that knows every engine. */
import type { Logger } from '../logger.js';
import type { Engine } from './types.js';
import type { EngineChoice } from './select.js';
import { ScanEngine } from './scan/engine.js';
import { openScanPlan } from '../source/open.js';
import { createAthenaEngine } from './athena/create.js';

export function createEngine(choice: EngineChoice, logger: Logger): Engine {
  if (choice.engine === 'scan') return new ScanEngine(openScanPlan, logger, choice.reason);
  return createAthenaEngine(logger, choice.reason);
}
