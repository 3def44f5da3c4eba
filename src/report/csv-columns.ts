/**
 * The fixed CSV layout of results: one row per event, the fields people sort and filter on as
 * their own columns, nested objects and arrays as JSON text in a cell.
 */

/** Column header -> path in the CloudTrail record. */
export const CSV_COLUMNS: ReadonlyArray<readonly [header: string, path: readonly string[]]> = [
  ['eventTime', ['eventTime']],
  ['eventSource', ['eventSource']],
  ['eventName', ['eventName']],
  ['awsRegion', ['awsRegion']],
  ['sourceIPAddress', ['sourceIPAddress']],
  ['userAgent', ['userAgent']],
  ['userIdentity.type', ['userIdentity', 'type']],
  ['userIdentity.arn', ['userIdentity', 'arn']],
  ['userIdentity.accountId', ['userIdentity', 'accountId']],
  ['userIdentity.principalId', ['userIdentity', 'principalId']],
  ['userIdentity.userName', ['userIdentity', 'userName']],
  ['userIdentity.accessKeyId', ['userIdentity', 'accessKeyId']],
  ['userIdentity.invokedBy', ['userIdentity', 'invokedBy']],
  [
    'userIdentity.sessionContext.sessionIssuer.arn',
    ['userIdentity', 'sessionContext', 'sessionIssuer', 'arn'],
  ],
  ['errorCode', ['errorCode']],
  ['errorMessage', ['errorMessage']],
  ['requestParameters', ['requestParameters']],
  ['responseElements', ['responseElements']],
  ['additionalEventData', ['additionalEventData']],
  ['resources', ['resources']],
  ['requestID', ['requestID']],
  ['eventID', ['eventID']],
  ['readOnly', ['readOnly']],
  ['eventType', ['eventType']],
  ['managementEvent', ['managementEvent']],
  ['recipientAccountId', ['recipientAccountId']],
  ['eventCategory', ['eventCategory']],
  ['sharedEventID', ['sharedEventID']],
  ['vpcEndpointId', ['vpcEndpointId']],
  ['tlsDetails.clientProvidedHostHeader', ['tlsDetails', 'clientProvidedHostHeader']],
  ['filtered_resource', ['filtered_resource']],
];

export const CSV_HEADER: readonly string[] = CSV_COLUMNS.map(([header]) => header);

/** What the records carry beyond CloudTrail's fields, each then a column of its own. */
export interface CsvColumnOptions {
  /** Sigma rules ran: `matched_rules`. */
  rules?: boolean;
  /** Sigma correlation rules ran: `matched_correlations`. */
  correlations?: boolean;
}

/** The CSV columns of a search: the rules' columns when it runs rules (and correlations). */
export function csvColumnOptionsOf(inv: {
  rules?: { correlations?: readonly unknown[] } | undefined;
}): CsvColumnOptions {
  return { rules: inv.rules !== undefined, correlations: (inv.rules?.correlations?.length ?? 0) > 0 };
}

/** The columns of a results file: CSV_COLUMNS, then the rules' columns when rules ran. */
export function csvColumns(
  options: CsvColumnOptions = {},
): ReadonlyArray<readonly [string, readonly string[]]> {
  return [
    ...CSV_COLUMNS,
    ...(options.rules ? [['matched_rules', ['matched_rules']] as const] : []),
    ...(options.rules && options.correlations
      ? [['matched_correlations', ['matched_correlations']] as const]
      : []),
  ];
}

function at(record: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = record;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A cell's text: '' for absent or null, JSON for objects and arrays, the value otherwise. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function csvRow(record: Record<string, unknown>, columns = CSV_COLUMNS): string[] {
  return columns.map(([, path]) => cellText(at(record, path)));
}

/** One record's row, CRLF-terminated: `csvLine(csvRow(record, columns))` without the array. */
export function csvRowLine(
  record: Record<string, unknown>,
  columns: ReadonlyArray<readonly [string, readonly string[]]> = CSV_COLUMNS,
): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const text = cellText(at(record, columns[i]![1]));
    line += i === 0 ? csvCell(text) : `,${csvCell(text)}`;
  }
  return `${line}\r\n`;
}

/**
 * A cell a spreadsheet could run as a formula: one starting with = + - @ (or their full-width
 * forms) once leading whitespace, control and format characters are skipped (spreadsheets and
 * CSV readers skip or strip some of them), and any cell starting with a tab or a line break
 * (OWASP's list: some importers drop them and read what follows).
 */
const FORMULA = /^(?:[\t\r\n]|[\s\p{Cc}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u;
/**
 * Characters that need the cell quoted. Every line break, whatever the row delimiter: an unquoted
 * CR or LF ends the row in most readers (csv-stringify left a bare CR unquoted with CRLF rows, so
 * a value could start a row of its own); NEL and U+2028/9 end lines for some readers too.
 */
const NEEDS_QUOTES = /[",\r\n\u0085\u2028\u2029]/;

/** One cell as RFC 4180 writes it, with a `'` before anything a spreadsheet would evaluate. */
export function csvCell(text: string): string {
  if (text === '') return text;
  const first = text.charCodeAt(0);
  // A digit or a letter (or one of [\]^_`{|}~) first: no formula, whatever follows.
  const plain = (first >= 0x30 && first <= 0x39) || (first > 0x40 && first < 0x7f);
  const safe = !plain && FORMULA.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One row, CRLF-terminated (RFC 4180). */
export function csvLine(cells: readonly string[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvCell(cells[i] as string);
  return `${line}\r\n`;
}
