/**
 * Live: the Athena engine against a real trail, compared with the scan engine on the same window.
 *
 * Needs: AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a web identity
 * token), CLOUDTRAIL_TEST_TRAIL (name or ARN); optional CLOUDTRAIL_TEST_ATHENA_OUTPUT
 * (s3://bucket/prefix, else the workgroup's), CLOUDTRAIL_TEST_HOURS (window, default 2),
 * AWS_REGION. Runs with cleanup on: it drops the table it creates and deletes its results.
 * Cost: a few cents at most (one small pruned query per region).
 */
import { describe, expect, it } from 'vitest';
import { buildInvestigation } from '../../src/config/build.js';
import { createAthenaEngine, planAthenaRun } from '../../src/engines/athena/create.js';
import { createEngine } from '../../src/engines/create.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import { silentLogger } from '../../src/logger.js';

const env = process.env;
const hasCredentials = Boolean(
  (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE,
);
const trail = env.CLOUDTRAIL_TEST_TRAIL;
const missing = [...(hasCredentials ? [] : ['AWS credentials']), ...(trail ? [] : ['CLOUDTRAIL_TEST_TRAIL'])];
const title = missing.length > 0 ? `Athena live (skipped: missing ${missing.join(' and ')})` : 'Athena live';

async function collect(events: AsyncIterable<MatchedEvent>): Promise<MatchedEvent[]> {
  const out: MatchedEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe.skipIf(missing.length > 0)(title, () => {
  const hours = Number(env.CLOUDTRAIL_TEST_HOURS ?? '2');
  const inv = () =>
    buildInvestigation({
      trails: [trail as string],
      days: hours / 24,
      engine: 'athena',
      cleanup: true,
      ...(env.CLOUDTRAIL_TEST_ATHENA_OUTPUT ? { athenaOutput: env.CLOUDTRAIL_TEST_ATHENA_OUTPUT } : {}),
      ...(env.AWS_REGION ? { awsRegion: env.AWS_REGION } : {}),
      outDir: '/tmp/cloudtrail-investigate-live',
    });

  it('plans without running anything', async () => {
    const plan = await planAthenaRun(inv(), silentLogger, 'live test');
    expect(plan.engine).toBe('athena');
    expect(plan.queries.length).toBeGreaterThan(0);
  });

  it('finds the same events as the scan engine, all inside the window, every region complete', async () => {
    const investigation = inv();
    const athenaRun = createAthenaEngine(silentLogger, 'live test').run(investigation);
    const athenaEvents = await collect(athenaRun.events);
    const stats = athenaRun.stats();
    expect(stats.regions.every((r) => r.status === 'complete')).toBe(true);
    expect(stats.bytesScanned).toBeGreaterThan(0);
    for (const e of athenaEvents) {
      const t = Date.parse(String(e.record.eventTime));
      expect(t).toBeGreaterThanOrEqual(investigation.window.since.getTime());
      expect(t).toBeLessThan(investigation.window.until.getTime());
    }

    const scanRun = (await createEngine({ engine: 'scan', reason: 'live test' }, silentLogger)).run({
      ...investigation,
      engine: 'scan',
    });
    const scanEvents = await collect(scanRun.events);
    const ids = (events: MatchedEvent[]) => [...new Set(events.map((e) => e.eventID))].sort();
    expect(ids(athenaEvents)).toEqual(ids(scanEvents));
  });
});
