/**
 * `--rules` (Action: `rules`): loads and compiles the Sigma rules into the investigation. Separate
 * from buildInvestigation because it reads files; still no network, and every mistake is a
 * ConfigurationError naming the flag.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError, errorMessage } from '../errors.js';
import { parseAllYamlBounded, YamlTooLargeError } from './yaml-bounded.js';
import type { Investigation } from '../investigation.js';
import { loadRulePack } from '../sigma/load.js';
import { parseMinLevel } from '../sigma/pack.js';
import type { RawOptions } from './options.js';
import { parseBoolean } from './build.js';

export interface RuleFieldNames {
  rules: string;
  strict: string;
  minLevel: string;
}

const CLI_FIELDS: RuleFieldNames = { rules: '--rules', strict: '--strict', minLevel: '--min-level' };

export async function attachRules(
  inv: Investigation,
  raw: Pick<RawOptions, 'rules' | 'strict' | 'minLevel'>,
  cwd: string,
  fields: RuleFieldNames = CLI_FIELDS,
): Promise<Investigation> {
  const specs = (raw.rules ?? []).map((s) => s.trim()).filter(Boolean);
  const minLevelText = raw.minLevel?.trim();
  if (specs.length === 0) {
    if (minLevelText) {
      throw new ConfigurationError(
        `${fields.minLevel} applies to Sigma rules: give ${fields.rules} too, or remove it.`,
        fields.minLevel,
      );
    }
    return inv;
  }
  const strict = parseBoolean(raw.strict, false, fields.strict);
  for (const spec of specs) checkRuleFile(spec, cwd, fields.rules);
  let pack: Awaited<ReturnType<typeof loadRulePack>>;
  try {
    pack = await loadRulePack(specs, { cwd, field: fields.rules, strict });
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    // Whatever else reading the rules hits (a folder that cannot be read, YAML the parser
    // refuses) is about the rules given: exit 2, never a raw failure of the search.
    throw new ConfigurationError(
      `${fields.rules}: the rules could not be read: ${errorMessage(err)}.`,
      fields.rules,
    );
  }
  if (pack.rules.length === 0) {
    const reasons = pack.unsupported.slice(0, 3).map((u) => `${u.file}: ${u.reason}`);
    throw new ConfigurationError(
      `${fields.rules}: none of the ${pack.unsupported.length} rules can run on CloudTrail records (${reasons.join('; ')}).`,
      fields.rules,
    );
  }
  return {
    ...inv,
    rules: pack,
    ...(minLevelText ? { minLevel: parseMinLevel(minLevelText, fields.minLevel) } : {}),
  };
}

/** A rule file is a few KB; this bounds what a wrong path (a log, a disk image) costs. */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;

/**
 * A rule spec naming one file directly (not a folder, glob or built-in pack) is checked before the
 * Sigma loader reads it: a regular file (not a FIFO or `/dev/zero`, which never end), at most
 * MAX_RULE_FILE_BYTES, UTF-8, YAML that stays within the expansion limits (yaml-bounded.ts).
 * Each refusal is a ConfigurationError naming the file.
 */
function checkRuleFile(spec: string, cwd: string, field: string): void {
  if (spec.startsWith('builtin:') || /[*?[]/.test(spec)) return;
  const file = path.resolve(cwd, spec);
  let stats;
  try {
    stats = statSync(file);
  } catch {
    return; // the loader says it does not exist
  }
  if (stats.isDirectory()) return;
  if (!stats.isFile()) {
    throw new ConfigurationError(
      `${field}: ${spec} is not a regular file (a device, FIFO or socket); give a rule file or folder.`,
      field,
    );
  }
  if (stats.size > MAX_RULE_FILE_BYTES) {
    throw new ConfigurationError(
      `${field}: ${spec} is ${stats.size} bytes; a rule file may have ${MAX_RULE_FILE_BYTES}.`,
      field,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch {
    throw new ConfigurationError(`${field}: ${spec} cannot be read as UTF-8 text.`, field);
  }
  try {
    parseAllYamlBounded(text);
  } catch (err) {
    if (err instanceof YamlTooLargeError || err instanceof RangeError) {
      const reason = err instanceof RangeError ? 'it is nested too deeply' : err.message;
      throw new ConfigurationError(`${field}: ${spec} cannot be read: ${reason}.`, field);
    }
    // Other YAML errors: the Sigma loader reports them with its own context.
  }
}
