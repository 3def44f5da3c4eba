/**
 * Value helpers shared by the filter parser and the predicate: the text form a scalar is compared
 * by, and IP network parsing for `|cidr`. Pure functions, no I/O.
 */
import { isIP } from 'node:net';
import type { Scalar } from './ast.js';

/**
 * The text a query value is compared by. Booleans compare by their JSON text, so `false` matches
 * "false" (and, case-insensitively, "False"); numbers also compare by value (`numericValue`).
 */
export function scalarText(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}

/** JSON's number grammar (RFC 8259): the texts that compare as numbers. */
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * The number a query value stands for, when it is one: a number, or a string written as a JSON
 * number (`"243"`, `"243.0"`, `"2.43E2"`). Such a value equals a number in a record by value
 * (`243` = `243.0`); undefined for anything else (`"0x10"`, `" 5"`, booleans).
 */
export function numericValue(value: string | number | boolean): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !JSON_NUMBER.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Integral numbers below this are written as integer digits (exact as a BIGINT in Trino). */
const INTEGER_DIGITS_BELOW = 1e18;

/**
 * The one text of a number in a record, in both engines, whatever the log wrote (`243`, `243.0`,
 * `2.43E2`): an integral value below 10^18 as its integer digits (`243`, `0`, `-5`); any other
 * as Java's `Double.toString` writes it (`0.5`, `1.5E-7`, `1.0E21`), which is what Trino's
 * `format('%s', <double>)` gives, so the SQL compiler can produce the same text.
 */
export function canonicalNumber(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(n) && Math.abs(n) < INTEGER_DIGITS_BELOW) return BigInt(n).toString();
  const abs = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  // Java: plain decimal from 10^-3 up to 10^7, else d.dddE<exponent>; shortest round-trip digits.
  if (abs >= 1e-3 && abs < 1e7) return sign + String(abs);
  const [mantissa = '', exponent = ''] = abs.toExponential().split('e');
  return `${sign}${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/**
 * The one text of an object or array for substring tests (`contains`, `startswith`, `endswith`,
 * `re`), in both engines: compact JSON, object keys sorted (by UTF-16 code units, as Trino's
 * `json_parse` orders them), numbers as `canonicalNumber` writes them, strings as
 * `JSON.stringify` escapes them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      // A number too big for a double (1e400) is Infinity once parsed: null, as JSON.stringify writes it.
      return Number.isFinite(value) ? canonicalNumber(value) : 'null';
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

export function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** A plain object as JSON.parse / YAML produce (not an array, Date, Map...). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Describes a value's JSON type for error messages. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return `the number ${String(value)}`;
  return `a ${typeof value}`;
}

export interface IpNetwork {
  /** Network address with host bits cleared, canonical text. */
  address: string;
  prefix: number;
  family: 4 | 6;
  /** `address/prefix`: the form stored in the AST and passed to engines. */
  cidr: string;
}

/**
 * Parses "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128 network). Host bits are
 * cleared ("10.1.2.3/8" -> "10.0.0.0/8") so every engine sees one canonical network.
 * Returns a reason string when the text is not a network.
 */
export function parseIpNetwork(text: string): IpNetwork | string {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const version = isIP(addressText);
  if (version === 0 || addressText.includes('%')) {
    return `"${addressText}" is not an IPv4 or IPv6 address`;
  }
  const family = version === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      return `prefix length "/${prefixText}" must be a whole number from 0 to ${max} for an IPv${family} network`;
    }
    prefix = Number(prefixText);
  }
  const bytes = family === 4 ? ipv4Bytes(addressText) : ipv6Bytes(addressText);
  maskBytes(bytes, prefix);
  const address = family === 4 ? bytes.join('.') : formatIpv6(bytes);
  return { address, prefix, family, cidr: `${address}/${prefix}` };
}

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

/** 16 bytes of a valid (isIP === 6) IPv6 address, including the embedded-IPv4 form. */
function ipv6Bytes(text: string): number[] {
  let head = text;
  let tailV4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = ipv4Bytes(text.slice(lastColon + 1));
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left = '', right] = head.split('::');
  const groups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16));
  const leftGroups = groups(left);
  const rightGroups = right === undefined ? [] : groups(right);
  const zeros = new Array<number>(8 - leftGroups.length - rightGroups.length).fill(0);
  const all = [...leftGroups, ...zeros, ...rightGroups];
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tailV4.length === 4) bytes.splice(12, 4, ...tailV4);
  return bytes;
}

function maskBytes(bytes: number[], prefix: number): void {
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, prefix - i * 8));
    const mask = bitsHere === 0 ? 0 : (0xff << (8 - bitsHere)) & 0xff;
    bytes[i] = (bytes[i] ?? 0) & mask;
  }
}

/** RFC 5952 text: lowercase hex, no leading zeros, the longest run (2+) of zero groups as "::". */
function formatIpv6(bytes: number[]): string {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    // IPv4-mapped addresses keep their dotted tail (RFC 5952 §5).
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
