/** Where the external corpora are, and whether they are all there (no vitest import: global set-up uses it). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** CORPUS_DIR overrides where the corpora are looked for. */
export const sharedData = path.resolve(process.env.CORPUS_DIR ?? path.join(repoRoot, '../shared/data'));

/** The folders and files the corpus tests read; all must be there for the suite to run. */
const REQUIRED = [
  'invictus-aws-dataset/CloudTrail',
  'stratus-detonation-logs',
  'sigma-aws-cloudtrail',
  'malformed/traildiscover-samples/aws/cloudtrail',
  'panther-cloudtrail-tests.jsonl',
];

/** Why the corpus suite cannot run here, or undefined when it can. */
export function corpusMissing(): string | undefined {
  const missing = REQUIRED.filter((p) => !existsSync(path.join(sharedData, p)));
  if (missing.length === 0) return undefined;
  return `${sharedData} lacks ${missing.join(', ')}`;
}
