/**
 * The latency scenario's results: throughput per injected latency and tool, the ratios that
 * count (each tool against itself at 0 ms, the scan engine against the SDK peer at the same
 * latency), the target, and the table. Pure functions.
 */
import { median, type TargetCheck } from './report.js';

export type LatencyTool = 'scan-s3' | 'sdk-peer';

export interface LatencyRun {
  workMs: number;
  count: number;
  cpuMs: number | undefined;
  serverCpuMs: number;
  maxRssKb: number | undefined;
}

export interface LatencyRow {
  latencyMs: number;
  tool: LatencyTool;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  objectsPerSecond: number;
  /** Stored (gzip) MB per second: what crosses the link. */
  mbPerSecond: number;
  /** Uncompressed JSON MB per second. */
  jsonMbPerSecond: number;
  medianCpuMs: number | undefined;
  medianServerCpuMs: number;
  peakRssMb: number | undefined;
  count: number;
  /** Throughput over the same tool's at 0 ms (when 0 ms was run). */
  vsNoLatency: number | undefined;
  /** scan-s3 only: its throughput over the SDK peer's at the same latency. */
  vsSdk: number | undefined;
}

/** The target of issue 20: at 50 ms, the scan engine keeps 0.8x of its throughput at 0 ms. */
export const LATENCY_TARGET = { latencyMs: 50, ratio: 0.8 };

export function latencyRows(
  runs: ReadonlyMap<string, LatencyRun[]>,
  latencies: readonly number[],
  input: { objects: number; bytes: number; uncompressed: number },
): LatencyRow[] {
  const rows: LatencyRow[] = [];
  for (const latencyMs of latencies) {
    for (const tool of ['scan-s3', 'sdk-peer'] as const) {
      const list = runs.get(`${latencyMs}/${tool}`) ?? [];
      if (list.length === 0) continue;
      const work = list.map((r) => r.workMs);
      const med = median(work);
      const cpu = list.map((r) => r.cpuMs).filter((c): c is number => c !== undefined);
      const rss = list.map((r) => r.maxRssKb).filter((c): c is number => c !== undefined);
      rows.push({
        latencyMs,
        tool,
        runs: list.length,
        medianMs: med,
        minMs: Math.min(...work),
        maxMs: Math.max(...work),
        objectsPerSecond: input.objects / (med / 1000),
        mbPerSecond: input.bytes / 1e6 / (med / 1000),
        jsonMbPerSecond: input.uncompressed / 1e6 / (med / 1000),
        medianCpuMs: cpu.length ? median(cpu) : undefined,
        medianServerCpuMs: median(list.map((r) => r.serverCpuMs)),
        peakRssMb: rss.length ? Math.max(...rss) / 1024 : undefined,
        count: list[0]!.count,
        vsNoLatency: undefined,
        vsSdk: undefined,
      });
    }
  }
  for (const row of rows) {
    const base = rows.find((r) => r.tool === row.tool && r.latencyMs === 0);
    if (base) row.vsNoLatency = row.objectsPerSecond / base.objectsPerSecond;
    const sdk = rows.find((r) => r.tool === 'sdk-peer' && r.latencyMs === row.latencyMs);
    if (row.tool === 'scan-s3' && sdk) row.vsSdk = row.objectsPerSecond / sdk.objectsPerSecond;
  }
  return rows;
}

/** Every run of every tool at every latency must find the same events. */
export function checkLatencyCounts(runs: ReadonlyMap<string, LatencyRun[]>): void {
  const counts = new Map<number, string[]>();
  for (const [name, list] of runs) {
    for (const r of list) counts.set(r.count, [...(counts.get(r.count) ?? []), name]);
  }
  if (counts.size > 1) {
    const detail = [...counts].map(([n, names]) => `${n}: ${[...new Set(names)].join(', ')}`).join('; ');
    throw new Error(`latency scenario: the tools found different numbers of events (${detail})`);
  }
}

export function latencyTargets(rows: readonly LatencyRow[]): TargetCheck[] {
  const row = rows.find((r) => r.tool === 'scan-s3' && r.latencyMs === LATENCY_TARGET.latencyMs);
  if (row?.vsNoLatency === undefined) return [];
  return [
    {
      target: `latency: scan-s3 at ${LATENCY_TARGET.latencyMs} ms >= ${LATENCY_TARGET.ratio}x its throughput at 0 ms`,
      value: `${row.vsNoLatency.toFixed(2)}x`,
      met: row.vsNoLatency >= LATENCY_TARGET.ratio,
    },
  ];
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A Markdown table of the rows. */
export function formatLatencyTable(rows: readonly LatencyRow[]): string {
  const header = [
    'latency ms',
    'tool',
    'median s',
    'min-max s',
    'objects/s',
    'MB/s gzip',
    'MB/s JSON',
    'CPU s',
    'server CPU s',
    'peak RSS MB',
    'events',
    '÷ itself at 0 ms',
    'scan ÷ SDK',
  ];
  const cells = rows.map((r) => [
    String(r.latencyMs),
    r.tool,
    fmt(r.medianMs / 1000, 2),
    `${fmt(r.minMs / 1000, 2)}-${fmt(r.maxMs / 1000, 2)}`,
    fmt(r.objectsPerSecond),
    fmt(r.mbPerSecond, 1),
    fmt(r.jsonMbPerSecond),
    r.medianCpuMs === undefined ? '-' : fmt(r.medianCpuMs / 1000, 2),
    fmt(r.medianServerCpuMs / 1000, 2),
    fmt(r.peakRssMb),
    fmt(r.count),
    fmt(r.vsNoLatency, 2),
    r.vsSdk === undefined ? '' : `${fmt(r.vsSdk, 2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const numeric = (i: number): boolean => i !== 1;
  const line = (c: string[]): string =>
    `| ${c.map((x, i) => (numeric(i) ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (numeric(i) ? `${'-'.repeat(w + 1)}:` : `-${'-'.repeat(w + 1)}`)).join('|')}|`,
    ...cells.map(line),
  ].join('\n');
}
