/**
 * The benchmark's queries, each written the idiomatic way for every tool: a filter map for the
 * scan engine, a WHERE clause for DuckDB, a `select()` for jq. DuckDB and jq compare exactly
 * (the scan engine ignores case); on the generated data both give the same events, which every
 * run checks. The window scenario gives every tool the same files: those the scan engine's planner
 * selects from the file names (window plus delivery lag), so all of them filter eventTime.
 */
import { DELIVERY_LAG_MS, stampInWindow } from '../src/source/layout.js';
import { SELECTIVITY } from '../tools/generate/index.js';
import type { Dataset, DatasetFile } from './dataset.js';
import type { ScenarioName } from './options.js';
import { generatedRulePack } from './rule-pack.js';

/** Rules in the `rules` scenario's generated pack. */
export const BENCH_PACK_RULES = 600;

export interface Scenario {
  name: ScenarioName;
  description: string;
  /** The scan engine's --filter (JSON), or undefined for "every record" (an export). */
  filter: Record<string, unknown> | undefined;
  since: string;
  until: string;
  /** DuckDB condition on `r`, a record of type JSON. */
  sql: string;
  /** jq condition on a record. */
  jq: string;
  files: DatasetFile[];
  /** A Sigma pack (multi-document YAML) the scan engine runs with `--rules`. */
  rules?: string;
}

/** A DuckDB string literal. The values here are our own constants, quoted all the same. */
function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const jqText = (value: string): string => JSON.stringify(value);

function timeCondition(since: string, until: string): { sql: string; jq: string } {
  return {
    sql: `(r->>'eventTime') >= ${sqlText(since)} AND (r->>'eventTime') < ${sqlText(until)}`,
    jq: `.eventTime >= ${jqText(since)} and .eventTime < ${jqText(until)}`,
  };
}

export function scenarios(dataset: Dataset, names: readonly ScenarioName[]): Scenario[] {
  const all = dataset.files;
  const { start, end } = dataset;
  const rare = SELECTIVITY.rare.value;
  const broad = SELECTIVITY.broad.value;
  const bucket = `acme-terraform-state-${dataset.options.accounts[0]}`;
  const third = (Date.parse(end) - Date.parse(start)) / 3;
  const wSince = new Date(Date.parse(start) + third).toISOString().replace('.000Z', 'Z');
  const wUntil = new Date(Date.parse(start) + 2 * third).toISOString().replace('.000Z', 'Z');
  const windowFiles = all.filter((f) =>
    stampInWindow(
      new Date(f.delivered),
      { since: new Date(wSince), until: new Date(wUntil) },
      DELIVERY_LAG_MS,
    ),
  );
  const whole = timeCondition(start, end);
  const pack = names.includes('rules') ? generatedRulePack(BENCH_PACK_RULES) : undefined;
  const middle = timeCondition(wSince, wUntil);
  // The latency scenario has its own dataset and runner (bench/latency.ts).
  const defs: Record<Exclude<ScenarioName, 'latency'>, Scenario> = {
    selective: {
      name: 'selective',
      description: `eventName = ${rare} (~1% of records)`,
      filter: { eventName: rare },
      since: start,
      until: end,
      sql: `${whole.sql} AND (r->>'eventName') = ${sqlText(rare)}`,
      jq: `${whole.jq} and .eventName == ${jqText(rare)}`,
      files: all,
    },
    broad: {
      name: 'broad',
      description: `eventSource = ${broad} (~30% of records, all written out)`,
      filter: { eventSource: broad },
      since: start,
      until: end,
      sql: `${whole.sql} AND (r->>'eventSource') = ${sqlText(broad)}`,
      jq: `${whole.jq} and .eventSource == ${jqText(broad)}`,
      files: all,
    },
    nested: {
      name: 'nested',
      description: `requestParameters.bucketName = ${bucket}`,
      filter: { 'requestParameters.bucketName': bucket },
      since: start,
      until: end,
      sql: `${whole.sql} AND (r->'requestParameters'->>'bucketName') = ${sqlText(bucket)}`,
      jq: `${whole.jq} and .requestParameters.bucketName? == ${jqText(bucket)}`,
      files: all,
    },
    window: {
      name: 'window',
      description: `eventName = ${rare} in the middle third of the period (${windowFiles.length} of ${all.length} files)`,
      filter: { eventName: rare },
      since: wSince,
      until: wUntil,
      sql: `${middle.sql} AND (r->>'eventName') = ${sqlText(rare)}`,
      jq: `${middle.jq} and .eventName == ${jqText(rare)}`,
      files: windowFiles,
    },
    rules: {
      name: 'rules',
      description: `a generated pack of ${pack?.rules ?? BENCH_PACK_RULES} Sigma rules (most pin eventSource and eventName, 20 pin neither)`,
      filter: undefined,
      since: start,
      until: end,
      sql: `${whole.sql} AND ${pack?.sql ?? 'false'}`,
      jq: `${whole.jq} and ${pack?.jq ?? 'false'}`,
      files: all,
      ...(pack ? { rules: pack.yaml } : {}),
    },
    export: {
      name: 'export',
      description: 'every record of the period written out (peak memory with many matches)',
      filter: undefined,
      since: start,
      until: end,
      sql: whole.sql,
      jq: whole.jq,
      files: all,
    },
  };
  return names.filter((n) => n !== 'latency').map((n) => defs[n]);
}
