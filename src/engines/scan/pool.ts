/**
 * Runs ObjectScanner calls on worker threads (one per core) so indexing and JSON parsing use every
 * core and the main thread stays free to answer signals; with 0 workers, or when the worker script
 * cannot be found, it runs them in-process. Each
 * object's stored (compressed) bytes are handed over without a copy; the worker gunzips, scans and
 * frees them, so every thread reuses the same warm memory object after object. Results come back
 * packed (packed-matches.ts).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createPackingScanner, type PackedScanResult } from './packed-matches.js';
import type { MatcherSpec } from './scan-object.js';
import type { WorkerTask } from './worker.js';
import { INFLATE_BUDGET_BYTES, InflateBudget } from './inflate-budget.js';
import { useInflateBudget } from './scan-object.js';

/** Buffer.allocUnsafe serves sizes under half its 8 KB pool from the pool. */
const SHARED_POOL_MIN_SPARE = Buffer.poolSize >>> 1;

export interface ScanPool {
  scan(bytes: Uint8Array, key: string, scopeByRecord: boolean): Promise<PackedScanResult>;
  /** Resolves once a worker is ready (at once without workers). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Young generation of each worker's heap (see the Worker's resourceLimits below). */
const WORKER_YOUNG_GENERATION_MB = 16;

/**
 * Where the worker script is: next to this module when running from source (.ts, loaded through
 * tsx), or `scan-worker.js` next to the bundle (dist/). The name is assembled at run time so the
 * bundler leaves it alone.
 */
function workerScript(): WorkerScript | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // From source (tests, tsx): register tsx's loader inside the thread, then load the .ts entry.
    const entry = new URL('./worker.ts', here).href;
    // Resolved here, from the project, so it works whatever the current folder is.
    // (import.meta.resolve is missing under Vitest; require.resolve finds the CommonJS build,
    // whose ESM twin sits beside it.)
    const tsxApi =
      typeof import.meta.resolve === 'function'
        ? import.meta.resolve('tsx/esm/api')
        : pathToFileURL(
            createRequire(here)
              .resolve('tsx/esm/api')
              .replace(/\.cjs$/, '.mjs'),
          ).href;
    const code =
      `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })` +
      `.catch((e) => { throw e; });`;
    return { source: code, eval: true };
  }
  const url = new URL(['.', 'scan-worker.js'].join('/'), here);
  return existsSync(fileURLToPath(url)) ? { source: url, eval: false } : undefined;
}

interface WorkerScript {
  source: URL | string;
  eval: boolean;
}

/**
 * `--workers 0`: every object scanned on the main thread, which sees a signal only between
 * objects (the user's choice, documented).
 */
function inProcessPool(spec: MatcherSpec): ScanPool {
  const scan = createPackingScanner(spec);
  return {
    async scan(bytes, key, scopeByRecord) {
      return scan(bytes, key, scopeByRecord);
    },
    ready: async () => {},
    close: async () => {},
  };
}

/** What a worker posts: once `ready`, then one answer per task. */
type WorkerMessage = { ready: true } | { id: number; result?: PackedScanResult; failure?: string };

interface Pending {
  resolve: (r: PackedScanResult) => void;
  reject: (e: Error) => void;
}

class WorkerPool implements ScanPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  /** Workers that have loaded their code and built their matcher. */
  private readonly isReady: boolean[] = [];
  private readyCount = 0;
  private readonly firstReady: Promise<void>;
  private onFirstReady: () => void = () => {};
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private broken: Error | undefined;

  constructor(
    count: number,
    script: WorkerScript,
    spec: MatcherSpec,
    budget: SharedArrayBuffer,
    signal: AbortSignal | undefined,
  ) {
    this.firstReady = new Promise((resolve) => (this.onFirstReady = resolve));
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script.source, {
        workerData: { spec, budget },
        eval: script.eval,
        // A small young generation per worker: V8's default (larger on Node 24) adds tens of MB of
        // resident memory per thread for garbage that dies young anyway.
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      worker.on('message', (msg: WorkerMessage) => {
        if ('ready' in msg) {
          this.isReady[i] = true;
          if (this.readyCount++ === 0) this.onFirstReady();
          return;
        }
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        this.load[i]!--;
        if (msg.result) p.resolve(msg.result);
        else p.reject(new Error(msg.failure ?? 'worker failed'));
      });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`scan worker exited with code ${code}`));
      });
      this.workers.push(worker);
      this.load.push(0);
      this.isReady.push(false);
    }
    // Cancelled: an object being scanned may take long (a huge one, a costly pattern) and cannot be
    // interrupted inside a worker, so the workers are stopped and every pending object fails at
    // once with the signal's reason ("interrupted by SIGTERM").
    const cancel = (): void => {
      this.fail(signal?.reason instanceof Error ? signal.reason : new Error('search cancelled'));
      void this.close();
    };
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
  }

  private fail(err: Error): void {
    this.broken ??= err;
    this.onFirstReady(); // whoever waits for a worker learns of the failure from scan()
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async scan(bytes: Uint8Array, key: string, scopeByRecord: boolean): Promise<PackedScanResult> {
    // Never on the main thread, even while the workers start (~100+ ms): a long synchronous scan
    // there would keep SIGINT/SIGTERM waiting until it ended (issue 17).
    if (this.readyCount === 0 && !this.broken) await this.firstReady;
    if (this.broken) throw this.broken;
    return this.post(bytes, key, scopeByRecord);
  }

  private post(bytes: Uint8Array, key: string, scopeByRecord: boolean): Promise<PackedScanResult> {
    // Least-loaded ready worker: objects vary from KBs to tens of MBs.
    let w = -1;
    for (let i = 0; i < this.load.length; i++) {
      if (this.isReady[i] && (w === -1 || this.load[i]! < this.load[w]!)) w = i;
    }
    const id = this.nextId++;
    this.load[w]!++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const task: WorkerTask = { id, key, bytes, scopeByRecord };
      // Transfer, don't copy, when the bytes own their buffer (a file read or an S3 body may
      // leave a spare tail). Buffer's shared 8 KB pool only holds buffers under 4 KB, so a spare
      // tail under 4 KB cannot be someone else's bytes.
      const transferable =
        bytes.byteOffset === 0 &&
        bytes.buffer.byteLength - bytes.byteLength < SHARED_POOL_MIN_SPARE &&
        bytes.buffer instanceof ArrayBuffer;
      this.workers[w]!.postMessage(task, transferable ? [bytes.buffer as ArrayBuffer] : []);
    });
  }

  ready(): Promise<void> {
    return this.firstReady;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** A pool of `workers` threads (0: the main thread); `signal` stops them and fails pending objects. */
export function createScanPool(spec: MatcherSpec, workers: number, signal?: AbortSignal): ScanPool {
  // One decompression budget for this thread and every worker (inflate-budget.ts).
  const budget = InflateBudget.create(INFLATE_BUDGET_BYTES);
  useInflateBudget(budget);
  const script = workers > 0 ? workerScript() : undefined;
  if (!script) return inProcessPool(spec);
  return new WorkerPool(workers, script, spec, budget.shared, signal);
}
