/**
 * How the scan engine hands its matches over: one event at a time, in plan order, the object's
 * bookkeeping resumed only once its last event was taken; and no new object fetched while the
 * matches waiting to be emitted exceed their cap (a slow head object must not let every later
 * object's matches pile up), without ever stalling.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  eventsOf,
  MAX_WAITING_RESULT_BYTES,
  ScanEngine,
  type ScanPlan,
} from '../../src/engines/scan/engine.js';
import { PackedBatch, packMatches } from '../../src/engines/scan/packed-matches.js';
import type { ScanMatch } from '../../src/engines/scan/scan-object.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import type { ObjectStore, PlannedObject } from '../../src/source/types.js';
import { silentLogger } from '../../src/logger.js';
import { investigation } from '../athena/fake-athena.js';

function scanMatch(id: string): ScanMatch {
  return {
    json: JSON.stringify({ eventID: id }),
    eventID: id,
    region: 'us-east-1',
    fields: {
      eventTime: undefined,
      eventName: undefined,
      principal: '(unknown)',
      sourceIPAddress: undefined,
      awsRegion: undefined,
      errorCode: undefined,
    },
  };
}

function batchOf(ids: string[]): PackedBatch {
  return new PackedBatch(packMatches(ids.map(scanMatch)));
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('eventsOf', () => {
  it('gives every event in order, each made when it is reached, resuming the source between batches', async () => {
    const log: string[] = [];
    async function* source(): AsyncGenerator<PackedBatch> {
      log.push('start');
      yield batchOf(['a1', 'a2', 'a3']);
      log.push('after a');
      yield batchOf(['b1']);
      log.push('after b');
    }
    const made = vi.spyOn(PackedBatch.prototype, 'event');
    try {
      const events = eventsOf(source());
      const first = await events.next();
      expect(first.value?.eventID).toBe('a1');
      expect(made).toHaveBeenCalledTimes(1);
      expect((await events.next()).value?.eventID).toBe('a2');
      expect((await events.next()).value?.eventID).toBe('a3');
      expect(made).toHaveBeenCalledTimes(3);
      expect(log).toEqual(['start']); // the source waits until a batch's last event was taken
      expect((await events.next()).value?.eventID).toBe('b1');
      expect(log).toEqual(['start', 'after a']);
      expect((await events.next()).done).toBe(true);
      expect(log).toEqual(['start', 'after a', 'after b']);
    } finally {
      made.mockRestore();
    }
  });

  it('answers calls made without waiting in order', async () => {
    async function* source(): AsyncGenerator<PackedBatch> {
      yield batchOf(['a1', 'a2']);
      await tick();
      yield batchOf(['b1', 'b2']);
    }
    const events = eventsOf(source());
    const results = await Promise.all(Array.from({ length: 6 }, () => events.next()));
    expect(results.map((r) => (r.done ? 'done' : r.value.eventID))).toEqual([
      'a1',
      'a2',
      'b1',
      'b2',
      'done',
      'done',
    ]);
  });

  it("runs the source's cleanup when the consumer stops early, and passes its errors on", async () => {
    let cleaned = false;
    async function* source(): AsyncGenerator<PackedBatch> {
      try {
        yield batchOf(['a1', 'a2']);
        yield batchOf(['b1']);
      } finally {
        cleaned = true;
      }
    }
    const seen: string[] = [];
    for await (const e of eventsOf(source())) {
      seen.push(e.eventID!);
      break;
    }
    expect(seen).toEqual(['a1']);
    expect(cleaned).toBe(true);

    async function* failing(): AsyncGenerator<PackedBatch> {
      yield batchOf(['a1']);
      throw new Error('listing failed');
    }
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const e of eventsOf(failing())) got.push(e.eventID!);
      })(),
    ).rejects.toThrow('listing failed');
    expect(got).toEqual(['a1']);
  });
});

describe('eventsOf with transient events', () => {
  /** An id long enough that a batch of 600 outgrows Buffer's pool (smaller ones are left to the GC). */
  const id = (prefix: string, i: number) => `${prefix}${i}-${'x'.repeat(200)}`;

  /** Two batches of 600 events. */
  function twoBatches() {
    const ids = (prefix: string) => Array.from({ length: 600 }, (_, i) => id(prefix, i));
    const packed = [packMatches(ids('a').map(scanMatch)), packMatches(ids('b').map(scanMatch))];
    async function* source(): AsyncGenerator<PackedBatch> {
      for (const matches of packed) yield new PackedBatch(matches);
    }
    return { packed, source };
  }

  async function take(events: AsyncIterator<MatchedEvent>, n: number): Promise<MatchedEvent[]> {
    const taken: MatchedEvent[] = [];
    for (let i = 0; i < n; i++) taken.push((await events.next()).value as MatchedEvent);
    return taken;
  }

  const detached = (bytes: Uint8Array) => (bytes.buffer as ArrayBuffer & { detached?: boolean }).detached;

  it('releases a batch once the event after its last is asked for: its events then throw', async () => {
    const { source } = twoBatches();
    const events = eventsOf(source(), true);
    const a = await take(events, 600);
    expect(a[599]!.json).toBe(JSON.stringify({ eventID: id('a', 599) }));
    expect(a[0]!.eventID).toBe(id('a', 0));
    const [b0] = await take(events, 1);
    expect(b0!.eventID).toBe(id('b', 0));
    // Read from freed memory they would be empty or garbage: they refuse instead.
    expect(() => a[1]!.json).toThrow(/transient event was read/);
    expect(() => a[599]!.eventID).toThrow(/transient event was read/);
    expect(() => a[2]!.jsonBytes).toThrow(/transient event was read/);
    expect(b0!.json).toBe(JSON.stringify({ eventID: id('b', 0) }));
    // A consumer that stops early releases the batch it was in.
    await events.return!();
    expect(() => b0!.region).toThrow(/transient event was read/);
  });

  it.runIf(typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function')(
    'frees the buffers of a released batch at once (Node 22+)',
    async () => {
      const { packed, source } = twoBatches();
      const events = eventsOf(source(), true);
      await take(events, 601);
      expect(detached(packed[0]!.bytes)).toBe(true);
      expect(detached(packed[1]!.bytes)).toBe(false);
    },
  );

  it('by default leaves every event readable after the stream moved on', async () => {
    const { packed, source } = twoBatches();
    const events = eventsOf(source());
    const all = await take(events, 1200);
    expect((await events.next()).done).toBe(true);
    expect(all.map((e) => e.json)).toEqual(
      all.map((_, i) => JSON.stringify({ eventID: id(i < 600 ? 'a' : 'b', i % 600) })),
    );
    expect(packed.map((m) => detached(m.bytes) ?? false)).toEqual([false, false]);
  });
});

describe('the scan engine', () => {
  const RECORDS = 400;
  const OBJECTS = 40;
  const key = (i: number) =>
    `AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/01/o${String(i).padStart(3, '0')}.json`;
  const objects = Array.from({ length: OBJECTS }, (_, o) => {
    const records = Array.from({ length: RECORDS }, (_, r) => ({
      eventVersion: '1.08',
      eventTime: `2024-03-01T00:${String(r % 60).padStart(2, '0')}:00Z`,
      eventID: `${o}-${r}`,
      eventName: 'GetObject',
      awsRegion: 'us-east-1',
      requestParameters: { padding: 'x'.repeat(2000) },
    }));
    return {
      key: key(o),
      ids: records.map((r) => r.eventID),
      bytes: Buffer.from(JSON.stringify({ Records: records })),
    };
  });
  /** What one object's matches weigh at least: their JSON texts (every record matches). */
  const matchBytes = Math.min(
    ...objects.map((o) => o.bytes.length - '{"Records":[]}'.length - (RECORDS - 1)),
  );

  it('stops fetching while matches wait behind a slow first object, then emits everything in order', async () => {
    let releaseHead: () => void = () => {};
    const headHeld = new Promise<void>((resolve) => (releaseHead = resolve));
    const fetched: string[] = [];
    const store: ObjectStore = {
      description: 'test',
      list: async function* () {},
      listFolders: async () => [],
      async get(k) {
        fetched.push(k);
        if (k === key(0)) await headHeld;
        return objects.find((o) => o.key === k)!.bytes;
      },
    };
    const plan: ScanPlan = {
      objects: (async function* () {
        for (const o of objects) {
          const object: PlannedObject = {
            key: o.key,
            size: 1000,
            region: 'us-east-1',
            account: '111111111111',
          };
          yield { store, object };
          await tick(); // each object is scanned before the next is planned
        }
      })(),
      stats: () => ({ listed: OBJECTS, selected: OBJECTS, skipped: 0, prefixes: [] }),
      warnings: () => [],
    };
    const inv = investigation({}, { engine: 'scan', workers: 0, concurrency: 64, query: { kind: 'all' } });
    const run = new ScanEngine(async () => plan, silentLogger).run(inv);
    const events = run.events[Symbol.asyncIterator]();
    const first = events.next();
    for (let i = 0; i < 3 * OBJECTS; i++) await tick();

    // Without the cap all 40 would be fetched (concurrency 64, tiny stored sizes). With it, the
    // engine stops once more than the cap waits: the head, the objects whose matches went past
    // the cap, and the one planned just before they were counted.
    const waitingAtMost = Math.ceil(MAX_WAITING_RESULT_BYTES / matchBytes) + 1;
    expect(fetched.length).toBeLessThanOrEqual(1 + waitingAtMost + 1);
    expect(fetched.length).toBeGreaterThan(2);
    expect(fetched.length).toBeLessThan(OBJECTS);

    releaseHead();
    const got: MatchedEvent[] = [(await first).value as MatchedEvent];
    for (let r = await events.next(); !r.done; r = await events.next()) got.push(r.value);
    expect(got.map((e) => e.eventID)).toEqual(objects.flatMap((o) => o.ids));
    expect(fetched).toEqual(objects.map((o) => o.key));
    const stats = run.stats();
    expect(stats.objectsRead).toBe(OBJECTS);
    expect(stats.regions.reduce((n, r) => n + r.matches, 0)).toBe(OBJECTS * RECORDS);
  });
});
