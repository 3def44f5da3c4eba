/**
 * A generated Sigma pack of the shape public CloudTrail rule sets have: hundreds of rules, most
 * pinning an eventSource and an eventName (many names absent from any one trail), a few that pin
 * neither and are asked about every record, and a few that match often. Each rule is also written
 * as a DuckDB condition and a jq one, so the tools can be checked to agree on the matches.
 */
import { CATALOGUE } from '../tools/generate/index.js';

interface RuleModel {
  source?: string;
  names?: string[];
  root?: boolean;
  errorCode?: string;
  userAgentContains?: string;
}

const sqlText = (v: string): string => `'${v.replaceAll("'", "''")}'`;
const jqText = (v: string): string => JSON.stringify(v);

function models(count: number): RuleModel[] {
  const rules: RuleModel[] = [
    { names: ['GetSecretValue'] },
    { source: 's3.amazonaws.com', errorCode: 'AccessDenied' },
  ];
  // Every API of the trail, by the root user (asked often, matches rarely).
  for (const e of CATALOGUE) rules.push({ source: e.source, names: [e.name], root: true });
  // Rules that pin nothing: asked about every record.
  for (let k = 0; k < 20; k++) rules.push({ userAgentContains: `scanner-tool-${k}/` });
  // APIs this trail never calls, as most rules of a public pack are for any one account.
  for (let i = 0; rules.length < count; i++) {
    const e = CATALOGUE[i % CATALOGUE.length]!;
    rules.push({ source: e.source, names: [`${e.name}V${i}`, `Describe${e.name}${i}`] });
  }
  return rules;
}

function yamlOf(rule: RuleModel, i: number): string {
  const lines = [
    `title: Generated rule ${i}`,
    `id: 00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    'level: medium',
    'logsource: {product: aws, service: cloudtrail}',
    'detection:',
    '  selection:',
  ];
  if (rule.source) lines.push(`    eventSource: ${rule.source}`);
  if (rule.names) lines.push(`    eventName: [${rule.names.join(', ')}]`);
  if (rule.root) lines.push('    userIdentity.type: Root');
  if (rule.errorCode) lines.push(`    errorCode: ${rule.errorCode}`);
  if (rule.userAgentContains) lines.push(`    userAgent|contains: '${rule.userAgentContains}'`);
  lines.push('  condition: selection');
  return lines.join('\n');
}

function sqlOf(rule: RuleModel): string {
  const parts: string[] = [];
  if (rule.source) parts.push(`(r->>'eventSource') = ${sqlText(rule.source)}`);
  if (rule.names) parts.push(`(r->>'eventName') IN (${rule.names.map(sqlText).join(', ')})`);
  if (rule.root) parts.push(`(r->'userIdentity'->>'type') = 'Root'`);
  if (rule.errorCode) parts.push(`(r->>'errorCode') = ${sqlText(rule.errorCode)}`);
  if (rule.userAgentContains) parts.push(`contains(r->>'userAgent', ${sqlText(rule.userAgentContains)})`);
  return `(${parts.join(' AND ')})`;
}

function jqOf(rule: RuleModel): string {
  const parts: string[] = [];
  if (rule.source) parts.push(`.eventSource == ${jqText(rule.source)}`);
  if (rule.names) parts.push(`(${rule.names.map((n) => `.eventName == ${jqText(n)}`).join(' or ')})`);
  if (rule.root) parts.push(`.userIdentity.type? == "Root"`);
  if (rule.errorCode) parts.push(`.errorCode? == ${jqText(rule.errorCode)}`);
  if (rule.userAgentContains)
    parts.push(`((.userAgent // "") | contains(${jqText(rule.userAgentContains)}))`);
  return `(${parts.join(' and ')})`;
}

export interface GeneratedPack {
  /** The rules as one multi-document YAML file. */
  yaml: string;
  rules: number;
  /** DuckDB condition on `r`: a record matching any rule. */
  sql: string;
  /** jq condition: the same. */
  jq: string;
}

/**
 * DuckDB plans hundreds of ORs slowly (40 s for 600): rules that only pin (eventSource, eventName),
 * with or without the root condition, become one IN over the pair each.
 */
function packSql(rules: readonly RuleModel[]): string {
  const pairKey = `((r->>'eventSource') || ' ' || (r->>'eventName'))`;
  const pairs = (of: RuleModel[]): string =>
    of.flatMap((r) => (r.names ?? []).map((n) => sqlText(`${r.source} ${n}`))).join(', ');
  const pinnedOnly = (r: RuleModel): boolean =>
    r.source !== undefined && r.names !== undefined && !r.errorCode && !r.userAgentContains;
  const plain = rules.filter((r) => pinnedOnly(r) && !r.root);
  const root = rules.filter((r) => pinnedOnly(r) && r.root);
  const others = rules.filter((r) => !pinnedOnly(r));
  return `(${[
    ...(plain.length ? [`${pairKey} IN (${pairs(plain)})`] : []),
    ...(root.length ? [`((r->'userIdentity'->>'type') = 'Root' AND ${pairKey} IN (${pairs(root)}))`] : []),
    ...others.map(sqlOf),
  ].join(' OR ')})`;
}

export function generatedRulePack(count: number): GeneratedPack {
  const rules = models(count);
  return {
    yaml: `${rules.map(yamlOf).join('\n---\n')}\n`,
    rules: rules.length,
    sql: packSql(rules),
    jq: `(${rules.map(jqOf).join(' or ')})`,
  };
}
