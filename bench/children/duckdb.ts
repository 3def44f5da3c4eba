/**
 * DuckDB's `read_json` over the listed files: unnest the Records arrays (each record as JSON),
 * keep those passing the condition and COPY them to a JSON-lines file. Prints one JSON line:
 * {"workMs", "count", "maxRssKb", "cpuMs"}.
 *
 * Usage: node duckdb.js <threads> <list-file> <condition-file> <out-file>
 */
import { readFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';

const [threads = '2', listFile = '', conditionFile = '', outFile = ''] = process.argv.slice(2);
const files = (await readFile(listFile, 'utf8')).split('\n').filter(Boolean);
const condition = await readFile(conditionFile, 'utf8');
const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;

const started = performance.now();
const instance = await DuckDBInstance.create(':memory:', { threads, preserve_insertion_order: 'false' });
const connection = await instance.connect();
const source =
  `read_json([${files.map(quote).join(', ')}], columns = {Records: 'JSON[]'}, ` +
  `maximum_object_size = 1073741824, format = 'auto')`;
const sql =
  `COPY (SELECT r FROM (SELECT unnest(Records) AS r FROM ${source}) WHERE ${condition}) ` +
  `TO ${quote(outFile)} (FORMAT json)`;
const result = await connection.runAndReadAll(sql);
const count = Number(result.getRows()[0]?.[0] ?? -1);
const workMs = performance.now() - started;
connection.closeSync();
console.log(JSON.stringify({ workMs, count, maxRssKb: process.resourceUsage().maxRSS, cpuMs: cpuMs() }));

/** CPU time of this process so far, every thread (ms). */
function cpuMs(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
}
