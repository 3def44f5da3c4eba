/**
 * The benchmark's option parsing and arithmetic: medians, throughput, ratios, targets, and the
 * count check that fails a run whose tools disagree.
 */
import { describe, expect, it } from 'vitest';
import { BenchOptionError, parseBenchOptions } from '../../bench/options.js';
import {
  checkCounts,
  checkTargets,
  median,
  ratios,
  summariseTool,
  type ScenarioResult,
} from '../../bench/report.js';

const defaults = { out: '/r.json', dataDir: '/d', cores: 2 };

describe('bench options', () => {
  it('has defaults, smoke defaults, flags over environment', () => {
    const d = parseBenchOptions([], {}, defaults);
    expect(d).toMatchObject({
      files: 500,
      megabytes: 200,
      runs: 3,
      smoke: false,
      workers: 2,
      s3: true,
      jq: true,
    });
    expect(parseBenchOptions(['--smoke'], {}, defaults)).toMatchObject({ smoke: true, files: 12, runs: 1 });
    const o = parseBenchOptions(
      ['--files=40', '--runs', '2', '--only', 'broad,window', '--no-s3'],
      { BENCH_FILES: '9', BENCH_MB: '7' },
      defaults,
    );
    expect(o).toMatchObject({ files: 40, megabytes: 7, runs: 2, scenarios: ['broad', 'window'], s3: false });
  });

  it('names the option and the fix on mistakes', () => {
    expect(() => parseBenchOptions(['--runs', '0'], {}, defaults)).toThrow(/--runs must be a whole number/);
    expect(() => parseBenchOptions(['--only', 'fast'], {}, defaults)).toThrow(/unknown scenario "fast"/);
    expect(() => parseBenchOptions(['--bogus'], {}, defaults)).toThrow(BenchOptionError);
  });
});

describe('bench arithmetic', () => {
  const run = (workMs: number, count?: number) => ({
    wallMs: workMs + 100,
    workMs,
    count,
    maxRssKb: 1024 * 50,
    cpuMs: 2 * workMs,
  });

  it('takes the median and derives throughput from it', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const t = summariseTool('scan', [run(2000, 5), run(1000, 5), run(4000, 5)], {
      uncompressedBytes: 200e6,
      records: 100_000,
    });
    expect(t).toMatchObject({
      medianMs: 2000,
      minMs: 1000,
      maxMs: 4000,
      mbPerSecond: 100,
      recordsPerSecond: 50_000,
      peakRssMb: 50,
      count: 5,
    });
    expect(t).toMatchObject({ medianCpuMs: 4000, medianServerCpuMs: undefined });
  });

  it('fails loudly when tools or runs disagree on the events found', () => {
    const input = { uncompressedBytes: 1e6, records: 10 };
    expect(() => summariseTool('jq', [run(1, 5), run(1, 6)], input)).toThrow(/different counts/);
    const a = summariseTool('scan', [run(1, 5)], input);
    const b = summariseTool('duckdb', [run(1, 6)], input);
    const floor = summariseTool('gunzip-floor', [run(1)], input);
    expect(() => checkCounts('selective', [a, b, floor])).toThrow(/scan=5, duckdb=6/);
    expect(() => checkCounts('selective', [a, floor])).not.toThrow();
  });

  it('computes ratios from the same run and checks the targets', () => {
    const input = { uncompressedBytes: 100e6, records: 10 };
    const tools = [
      summariseTool('scan', [run(500, 1)], input),
      summariseTool('scan-s3', [run(600, 1)], input),
      summariseTool('scan-s3-sdk', [run(1000, 1)], input),
      summariseTool('duckdb', [run(1500, 1)], input),
      summariseTool('gunzip-floor', [run(200)], input),
    ];
    const r = ratios(tools);
    expect(r['scan/duckdb']).toBeCloseTo(3);
    expect(r['scan/gunzip-floor']).toBeCloseTo(0.4);
    expect(r['scan-s3/scan']).toBeCloseTo(500 / 600);
    expect(r['scan-s3-sdk/scan']).toBeCloseTo(500 / 1000);
    const result: ScenarioResult = {
      scenario: 'selective',
      description: '',
      files: 1,
      uncompressedBytes: 1,
      records: 1,
      tools,
      ratios: r,
    };
    const checks = checkTargets([result]);
    expect(checks.map((c) => [c.target, c.met])).toEqual([
      ['selective: scan >= 2x DuckDB', true],
      ['selective: scan >= 0.5x gunzip floor', false],
      ['selective: S3 >= 0.8x local folder', true],
      ['scan peak RSS < 300 MB', true],
    ]);
  });
});

describe('the rules scenario', () => {
  it('times the pack against an export of the same files; the export count is not compared', () => {
    const input = { uncompressedBytes: 100e6, records: 10 };
    const run = (workMs: number, count: number) => ({
      wallMs: workMs,
      workMs,
      count,
      maxRssKb: undefined,
      cpuMs: undefined,
    });
    const tools = [
      summariseTool('scan', [run(3000, 392)], input),
      summariseTool('scan-export', [run(2000, 26688)], input),
      summariseTool('duckdb', [run(9000, 392)], input),
    ];
    expect(() => checkCounts('rules', tools)).not.toThrow();
    const r = ratios(tools);
    expect(r['scan/scan-export time']).toBeCloseTo(1.5);
    const at = (scanMs: number) =>
      checkTargets([
        {
          scenario: 'rules',
          description: '',
          files: 1,
          uncompressedBytes: 1,
          records: 1,
          tools,
          ratios: { ...r, 'scan/scan-export time': scanMs / 2000 },
        },
      ]).find((c) => c.target.startsWith('rules:'));
    expect(at(3000)).toEqual({
      target: 'rules: a 600-rule pack <= 2x the time of an export',
      value: '1.50x',
      met: true,
    });
    expect(at(4100)).toMatchObject({ value: '2.05x', met: false });
  });
});

describe('bench table', () => {
  it('has a header cell for every column of every row', async () => {
    const { formatTable, summariseTool: summarise } = await import('../../bench/report.js');
    const input = { uncompressedBytes: 1e6, records: 10 };
    const m = { wallMs: 2, workMs: 1, count: 3, maxRssKb: 1024, cpuMs: 2, serverCpuMs: 1 };
    const tools = [summarise('scan', [m], input), summarise('scan-s3', [m], input)];
    const table = formatTable([
      { scenario: 's', description: '', files: 1, uncompressedBytes: 1, records: 1, tools, ratios: {} },
    ]);
    const cells = table.split('\n').map((line) => line.split('|').length);
    expect(new Set(cells).size).toBe(1);
    expect(table).toContain('+0.00 server');
  });
});
