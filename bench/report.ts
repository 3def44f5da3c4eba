/**
 * From timed runs to the results: medians and spreads, throughput, ratios between tools measured
 * in the same run, the project's targets, and the printed table. Pure functions.
 */
import type { Measurement, ToolName } from './tools.js';

export interface ToolResult {
  tool: ToolName;
  runs: number;
  /** Median, fastest and slowest work time (ms). */
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Median wall time of the whole process (ms). */
  medianWallMs: number;
  /** Median CPU time of the tool's process, all threads (ms), when measured. */
  medianCpuMs: number | undefined;
  /** Median CPU time of the S3-protocol server during the runs (ms), for scan-s3*. */
  medianServerCpuMs: number | undefined;
  /** Uncompressed MB (10^6 bytes) of log per second, at the median. */
  mbPerSecond: number;
  recordsPerSecond: number;
  /** Largest peak RSS over the runs (MB), when measured. */
  peakRssMb: number | undefined;
  /** Events found (the same in every run, checked). */
  count: number | undefined;
}

export interface ScenarioResult {
  scenario: string;
  description: string;
  files: number;
  uncompressedBytes: number;
  records: number;
  tools: ToolResult[];
  /** The scan engine's throughput divided by each other tool's (scan-s3*: divided by scan). */
  ratios: Record<string, number>;
}

export interface TargetCheck {
  target: string;
  value: string;
  met: boolean;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summariseTool(
  tool: ToolName,
  runs: readonly Measurement[],
  input: { uncompressedBytes: number; records: number },
): ToolResult {
  const work = runs.map((r) => r.workMs);
  const med = median(work);
  const rss = runs.map((r) => r.maxRssKb).filter((k): k is number => k !== undefined && Number.isFinite(k));
  const defined = (xs: Array<number | undefined>): number[] => xs.filter((x): x is number => x !== undefined);
  const cpu = defined(runs.map((r) => r.cpuMs));
  const serverCpu = defined(runs.map((r) => r.serverCpuMs));
  const counts = new Set(runs.map((r) => r.count));
  if (counts.size > 1)
    throw new Error(`${tool} found different counts in different runs: ${[...counts].join(', ')}`);
  return {
    tool,
    runs: runs.length,
    medianMs: med,
    minMs: Math.min(...work),
    maxMs: Math.max(...work),
    medianWallMs: median(runs.map((r) => r.wallMs)),
    medianCpuMs: cpu.length > 0 ? median(cpu) : undefined,
    medianServerCpuMs: serverCpu.length > 0 ? median(serverCpu) : undefined,
    mbPerSecond: input.uncompressedBytes / 1e6 / (med / 1000),
    recordsPerSecond: input.records / (med / 1000),
    peakRssMb: rss.length > 0 ? Math.max(...rss) / 1024 : undefined,
    count: runs[0]?.count,
  };
}

/** Throws when the tools that count events disagree: a benchmark of different answers means nothing. */
export function checkCounts(scenario: string, tools: readonly ToolResult[]): void {
  // scan-export writes every record: a time reference, not an answer to the scenario's query.
  const counted = tools.filter((t) => t.count !== undefined && t.tool !== 'scan-export');
  const distinct = new Set(counted.map((t) => t.count));
  if (distinct.size > 1) {
    const detail = counted.map((t) => `${t.tool}=${t.count}`).join(', ');
    throw new Error(`scenario ${scenario}: the tools found different numbers of events (${detail})`);
  }
}

export function ratios(tools: readonly ToolResult[]): Record<string, number> {
  const by = new Map(tools.map((t) => [t.tool, t]));
  const scan = by.get('scan');
  const out: Record<string, number> = {};
  if (!scan) return out;
  for (const t of tools) {
    if (t.tool === 'scan') continue;
    if (t.tool === 'scan-export') {
      out['scan/scan-export time'] = t.mbPerSecond / scan.mbPerSecond;
      continue;
    }
    if (t.tool.startsWith('scan-s3')) out[`${t.tool}/scan`] = t.mbPerSecond / scan.mbPerSecond;
    else out[`scan/${t.tool}`] = scan.mbPerSecond / t.mbPerSecond;
  }
  return out;
}

const RSS_LIMIT_MB = 300;

export function checkTargets(results: readonly ScenarioResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ratio = (scenario: string, key: string): number | undefined =>
    results.find((r) => r.scenario === scenario)?.ratios[key];
  const add = (target: string, value: number | undefined, min: number): void => {
    if (value === undefined) return;
    checks.push({ target, value: `${value.toFixed(2)}x`, met: value >= min });
  };
  add('selective: scan >= 2x DuckDB', ratio('selective', 'scan/duckdb'), 2);
  add('selective: scan >= 0.5x gunzip floor', ratio('selective', 'scan/gunzip-floor'), 0.5);
  add('broad: scan >= 1x DuckDB', ratio('broad', 'scan/duckdb'), 1);
  for (const r of results) add(`${r.scenario}: S3 >= 0.8x local folder`, r.ratios['scan-s3/scan'], 0.8);
  const packTime = ratio('rules', 'scan/scan-export time');
  if (packTime !== undefined) {
    checks.push({
      target: 'rules: a 600-rule pack <= 2x the time of an export',
      value: `${packTime.toFixed(2)}x`,
      met: packTime <= 2,
    });
  }
  const rss = results.flatMap((r) =>
    r.tools
      .filter((t) => t.tool.startsWith('scan') && t.peakRssMb !== undefined)
      .map((t) => t.peakRssMb as number),
  );
  if (rss.length > 0) {
    const peak = Math.max(...rss);
    checks.push({
      target: `scan peak RSS < ${RSS_LIMIT_MB} MB`,
      value: `${peak.toFixed(0)} MB`,
      met: peak < RSS_LIMIT_MB,
    });
  }
  return checks;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A plain-text table (also valid Markdown) of every scenario and tool. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'tool',
    'median s',
    'min-max s',
    'CPU s',
    'MB/s',
    'records/s',
    'peak RSS MB',
    'events',
    'scan ÷ tool',
  ];
  const rows: string[][] = [];
  for (const r of results) {
    for (const t of r.tools) {
      const ratio =
        t.tool === 'scan'
          ? ''
          : t.tool.startsWith('scan-s3')
            ? `S3/local ${fmt(r.ratios[`${t.tool}/scan`], 2)}`
            : fmt(r.ratios[`scan/${t.tool}`], 2);
      rows.push([
        r.scenario,
        t.tool,
        fmt(t.medianMs / 1000, 2),
        `${fmt(t.minMs / 1000, 2)}-${fmt(t.maxMs / 1000, 2)}`,
        t.medianCpuMs === undefined
          ? '-'
          : fmt(t.medianCpuMs / 1000, 2) +
            (t.medianServerCpuMs === undefined ? '' : ` +${fmt(t.medianServerCpuMs / 1000, 2)} server`),
        fmt(t.mbPerSecond),
        fmt(t.recordsPerSecond),
        fmt(t.peakRssMb),
        fmt(t.count),
        ratio,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => pad(c, widths[i] as number, i >= 2 && i <= 8)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i >= 2 && i <= 8 ? `${'-'.repeat(w + 1)}:` : `-${'-'.repeat(w + 1)}`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

export function formatTargets(checks: readonly TargetCheck[]): string {
  return checks.map((c) => `${c.met ? 'met    ' : 'NOT MET'}  ${c.target}: ${c.value}`).join('\n');
}
