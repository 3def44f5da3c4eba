/**
 * The one query model. A filter map (or, later, a Sigma rule) parses into this AST; it compiles
 * to a JavaScript predicate (scan engine) and to Trino SQL with parameters (Athena engine).
 * Plain JSON data only, so it can be posted to worker threads and written into plan.json.
 */

/** A JSON scalar as the user wrote it. `null` means "absent or null". */
export type Scalar = string | number | boolean | null;

/**
 * Where a field lives. `segments` are in CloudTrail's own spelling (camelCase) for every part the
 * field catalogue knows (`userIdentity.sessionContext.sessionIssuer.userName`, `resources.ARN`);
 * parts below a free-form JSON field (`requestParameters.bucketName`) keep the user's spelling.
 */
export interface FieldRef {
  /** e.g. ["requestParameters", "containerDefinitions", "command"] */
  segments: string[];
  /** The key as the user wrote it, for messages. */
  display: string;
}

/** String comparisons. `equals` compares scalars by value (`5` = "5", false = "False"). */
export type StringOp = 'equals' | 'contains' | 'startswith' | 'endswith';

export type Condition =
  | { op: StringOp; values: Scalar[] }
  /**
   * `re`: JavaScript/RE2-compatible regular expression source. `flags` (Sigma's `re|m`, `re|s`)
   * holds any of "m" (^ and $ match at line breaks) and "s" (. matches line breaks).
   */
  | { op: 're'; values: string[]; flags?: string }
  /**
   * `glob` (Sigma wildcards): the whole value matches a pattern where `*` is any text, `?` one
   * character, and `\*` `\?` `\\` stand for themselves.
   */
  | { op: 'glob'; values: string[] }
  /** `cidr`: IPv4 or IPv6 networks, e.g. "10.0.0.0/8", "2001:db8::/32". */
  | { op: 'cidr'; values: string[] }
  /** `exists`: true = present and not null; false = absent or null. */
  | { op: 'exists'; value: boolean }
  /**
   * `fieldref` (Sigma): the field's value compared, by `compare`, with the value of another field
   * of the same record (any of `fields`, or every one with `all`). Both must be present scalars.
   */
  | { op: 'fieldref'; fields: FieldRef[]; compare: StringOp };

/**
 * One field test. Values in a list are ORed, unless `all` (every value must match).
 * Matching ignores case unless `cased`. Arrays along the path match when any element matches.
 */
export interface MatchNode {
  kind: 'match';
  field: FieldRef;
  cond: Condition;
  all: boolean;
  cased: boolean;
}

export type QueryNode =
  | MatchNode
  | { kind: 'and'; children: QueryNode[] }
  | { kind: 'or'; children: QueryNode[] }
  | { kind: 'not'; child: QueryNode }
  /** Matches every record: an export of the window. */
  | { kind: 'all' };

/** A parsed filter map: the query, plus the original tool's non-filter keys found in it. */
export interface ParsedFilter {
  query: QueryNode;
  /** `days` inside the map (window length in days), if given. */
  days?: number;
  /** `cleanup` inside the map (Athena cleanup), if given. */
  cleanup?: boolean;
  /** True when any `resources.*` field is tested: matches then carry `filtered_resource`. */
  usesResources: boolean;
}
