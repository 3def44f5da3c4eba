/**
 * Reads the rules named by `--rules` / the `rules` input: files, folders (every .yml/.yaml below,
 * recursively), simple globs (`rules/**\/*.yml`, `aws_*.yml`: `**` any folders, `*` and `?`
 * within a name, `[abc]` a set), and built-in packs (`builtin:<name>`, `builtin:all`). Node 20 has
 * no fs.glob, hence the small matcher here. The only I/O of Sigma support lives in this file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { formatBytes, formatLimit } from '../report/format.js';
import { BUILTIN_PACKS } from './builtin/index.js';
import { compileRulePack, type PackOptions } from './pack.js';
import picomatch from 'picomatch';
import { parseRuleSource } from './parse.js';
import type { RulePack, RuleSource } from './types.js';

const RULES_FIELD = '--rules';
const RULE_EXTENSIONS = ['.yml', '.yaml'];
/** Folders never searched for rules. */
const SKIPPED_FOLDERS = new Set(['.git', 'node_modules']);

export interface LoadOptions extends PackOptions {
  /** Relative paths and globs start here. */
  cwd: string;
  /** The input or flag named in errors (default `--rules`). */
  field?: string;
}

/** Loads, parses and compiles the rules `specs` name into one pack. */
export async function loadRulePack(specs: readonly string[], options: LoadOptions): Promise<RulePack> {
  const sources = await loadRuleSources(specs, options);
  return compileRulePack(sources.flatMap(parseRuleSource), options);
}

/** The text of every rule file `specs` name, each file once, in the order given. */
export async function loadRuleSources(
  specs: readonly string[],
  options: { cwd: string; field?: string },
): Promise<RuleSource[]> {
  const field = options.field ?? RULES_FIELD;
  const sources: RuleSource[] = [];
  const seen = new Set<string>();
  const cleaned = specs.map((s) => s.trim()).filter((s) => s !== '');
  if (cleaned.length === 0) {
    throw new ConfigurationError(
      `${field}: no rules given; name rule files, folders, globs or builtin:<pack>.`,
      field,
    );
  }
  for (const spec of cleaned) {
    if (spec.startsWith('builtin:')) {
      for (const source of builtinSources(spec.slice('builtin:'.length), field)) {
        if (!seen.has(source.file)) {
          seen.add(source.file);
          sources.push(source);
        }
      }
      continue;
    }
    for (const file of await filesOf(spec, options.cwd, field)) {
      if (seen.has(file)) continue;
      seen.add(file);
      const shown = displayPath(file, options.cwd);
      sources.push({ file: shown, text: await readRuleFile(file, shown, field) });
    }
  }
  return sources;
}

/** A rule file is a few KB; this bounds what a wrong file in a folder or glob (a log, a disk image) costs. */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;

/**
 * A rule file's text: a regular file (not a FIFO or a device, which may never end), at most
 * MAX_RULE_FILE_BYTES, UTF-8. Each refusal names the file (exit 2), whether it was named directly
 * or found in a folder or by a glob.
 */
async function readRuleFile(file: string, shown: string, field: string): Promise<string> {
  const info = await stat(file);
  if (!info.isFile()) {
    throw new ConfigurationError(
      `${field}: ${shown} is not a regular file (a device, FIFO or socket); give a rule file or folder.`,
      field,
    );
  }
  if (info.size > MAX_RULE_FILE_BYTES) {
    throw new ConfigurationError(
      `${field}: ${shown} is ${formatBytes(info.size)}, larger than a rule file may be (${formatLimit(MAX_RULE_FILE_BYTES)}).`,
      field,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file));
  } catch {
    throw new ConfigurationError(`${field}: ${shown} cannot be read as UTF-8 text.`, field);
  }
}

function builtinSources(name: string, field: string): RuleSource[] {
  const names = Object.keys(BUILTIN_PACKS);
  if (name === 'all') return names.map((n) => ({ file: `builtin:${n}`, text: BUILTIN_PACKS[n] as string }));
  const text = BUILTIN_PACKS[name];
  if (text === undefined) {
    throw new ConfigurationError(
      `${field}: there is no built-in pack "${name}"; built-in packs: ${names.map((n) => `builtin:${n}`).join(', ')}, builtin:all.`,
      field,
    );
  }
  return [{ file: `builtin:${name}`, text }];
}

/** Relative to cwd when inside it (shorter messages, stable in summaries). */
function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

async function filesOf(spec: string, cwd: string, field: string): Promise<string[]> {
  const absolute = path.resolve(cwd, spec);
  if (isGlob(spec)) {
    const files = await globFiles(absolute);
    if (files.length === 0) {
      throw new ConfigurationError(
        `${field}: the pattern ${JSON.stringify(spec)} matches no file (looked from ${cwd}).`,
        field,
      );
    }
    return files;
  }
  const info = await stat(absolute).catch(() => undefined);
  if (!info) {
    throw new ConfigurationError(
      `${field}: ${JSON.stringify(spec)} does not exist (looked from ${cwd}); give a rule file, a folder, a glob or builtin:<pack>.`,
      field,
    );
  }
  // A file, or something that is neither file nor folder (a FIFO, /dev/zero): readRuleFile decides.
  if (!info.isDirectory()) return [absolute];
  const files = (await walk(absolute)).filter(isRuleFile);
  if (files.length === 0) {
    throw new ConfigurationError(
      `${field}: the folder ${JSON.stringify(spec)} holds no .yml or .yaml file.`,
      field,
    );
  }
  return files;
}

function isRuleFile(file: string): boolean {
  return RULE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** Every file below `dir`, sorted; symbolic links to folders are not followed (no loops). */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) files.push(...(await walk(full)));
    } else if (entry.isFile() || entry.isSymbolicLink()) files.push(full);
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Globs

/** Whether a rules argument is a glob (picomatch's reading: `*`, `?`, `[…]`, `{a,b}`, `!(…)`…). */
export function isGlob(spec: string): boolean {
  return picomatch.scan(spec).isGlob;
}

/**
 * Files matching an absolute glob: walk from the glob's base folder (the part before its first
 * wildcard), matching paths relative to it with picomatch. Names starting with a dot are matched
 * only by patterns that spell the dot, as shells do.
 */
async function globFiles(pattern: string): Promise<string[]> {
  const { base, glob } = picomatch.scan(pattern.split(path.sep).join('/'));
  const root = base === '' ? '.' : base;
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) return [];
  const matches = globMatcher(glob);
  const files = await walk(root);
  return files.filter((f) => matches(path.relative(root, f).split(path.sep).join('/')));
}

/**
 * A glob (with `/` separators) as a test of relative paths. `[!…]` negates a set, as in shells
 * (picomatch reads it as a set holding `!`; it spells negation `[^…]`).
 */
export function globMatcher(glob: string): (file: string) => boolean {
  return picomatch(glob.replace(/(?<!\\)\[!/g, '[^'), { dot: false });
}
