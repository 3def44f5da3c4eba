/**
 * Worker-thread entry of the scan engine: builds the matcher once from workerData, then answers
 * one message per object (its stored bytes) with its scan result, matches packed (packed-matches.ts). Bundled on its own as dist/scan-worker.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPackingScanner, transferList } from './packed-matches.js';
import { releaseBuffer } from '../release-buffer.js';
import { useInflateBudget, type MatcherSpec } from './scan-object.js';
import { INFLATE_BUDGET_BYTES, InflateBudget } from './inflate-budget.js';

export interface WorkerTask {
  id: number;
  key: string;
  bytes: Uint8Array;
  scopeByRecord: boolean;
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as { spec: MatcherSpec; budget: SharedArrayBuffer };
  // The process-wide decompression budget; a worker may wait for its share.
  useInflateBudget(new InflateBudget(data.budget, INFLATE_BUDGET_BYTES, true));
  const scan = createPackingScanner(data.spec);
  port.postMessage({ ready: true });
  port.on('message', (task: WorkerTask) => {
    try {
      const result = scan(task.bytes, task.key, task.scopeByRecord);
      releaseBuffer(task.bytes); // this thread's own copy (transferred or cloned)
      port.postMessage({ id: task.id, result }, transferList(result));
    } catch (err) {
      port.postMessage({ id: task.id, failure: err instanceof Error ? err.message : String(err) });
    }
  });
}
