/**
 * `--rules` (Action: `rules`): loads and compiles the Sigma rules into the investigation. Separate
 * from buildInvestigation because it reads files; still no network, and every mistake is a
 * ConfigurationError naming the flag.
 */
import { ConfigurationError, errorMessage } from '../errors.js';
import type { Investigation } from '../investigation.js';
import { loadRulePack } from '../sigma/load.js';
export { MAX_RULE_FILE_BYTES } from '../sigma/load.js';
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
