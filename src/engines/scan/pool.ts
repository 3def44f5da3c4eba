/**
 * Runs ObjectScanner calls on worker threads (one per core) so gunzip and JSON parsing use every
 * core; with 0 workers, or when the worker script cannot be found, it runs them in-process.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createObjectScanner, type MatcherSpec, type ObjectScanResult } from './scan-object.js';
import type { WorkerTask } from './worker.js';

export interface ScanPool {
  scan(bytes: Uint8Array, key: string, scopeByRecord: boolean): Promise<ObjectScanResult>;
  close(): Promise<void>;
}

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
    const code =
      `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })` +
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

function inProcessPool(spec: MatcherSpec): ScanPool {
  const scan = createObjectScanner(spec);
  return {
    scan: async (bytes, key, scopeByRecord) => scan(bytes, key, scopeByRecord),
    close: async () => {},
  };
}

interface Pending {
  resolve: (r: ObjectScanResult) => void;
  reject: (e: Error) => void;
}

class WorkerPool implements ScanPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly owner = new Map<number, number>();
  private nextId = 0;
  private broken: Error | undefined;

  constructor(count: number, script: WorkerScript, spec: MatcherSpec) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script.source, { workerData: { spec }, eval: script.eval });
      worker.on('message', (msg: { id: number; result?: ObjectScanResult; failure?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        this.owner.delete(msg.id);
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
    }
  }

  private fail(err: Error): void {
    this.broken ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  scan(bytes: Uint8Array, key: string, scopeByRecord: boolean): Promise<ObjectScanResult> {
    if (this.broken) return Promise.reject(this.broken);
    // Least-loaded worker: objects vary from KBs to tens of MBs.
    let w = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[w]!) w = i;
    const id = this.nextId++;
    this.load[w]!++;
    this.owner.set(id, w);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const task: WorkerTask = { id, key, bytes, scopeByRecord };
      // Transfer, don't copy, when the bytes own their buffer.
      const transferable =
        bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
      this.workers[w]!.postMessage(task, transferable ? [bytes.buffer as ArrayBuffer] : []);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export function createScanPool(spec: MatcherSpec, workers: number): ScanPool {
  const script = workers > 0 ? workerScript() : undefined;
  if (!script) return inProcessPool(spec);
  return new WorkerPool(workers, script, spec);
}
