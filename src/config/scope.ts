/** Validation of regions and account lists (`a,b` or `all`). */
import { ConfigurationError } from '../errors.js';

// Commercial, China, GovCloud and ISO partitions: us-east-1, cn-north-1, us-gov-west-1, us-isob-east-1.
const REGION = /^[a-z]{2}(?:-(?:gov|iso[a-z]?))?-[a-z]+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;

function splitList(value: string | string[]): string[] {
  const items = Array.isArray(value) ? value : value.split(/[\s,]+/);
  return items.map((s) => String(s).trim()).filter((s) => s !== '');
}

export function parseRegions(value: string | string[] | undefined, field = '--regions'): string[] | 'all' {
  if (value === undefined) return 'all';
  const items = splitList(value);
  if (items.length === 0 || (items.length === 1 && items[0]!.toLowerCase() === 'all')) return 'all';
  for (const r of items) {
    if (!REGION.test(r)) {
      throw new ConfigurationError(
        `${field}: "${r}" is not an AWS region name. Use names such as us-east-1,eu-west-1 (comma-separated) or "all".`,
        field,
      );
    }
  }
  return [...new Set(items)];
}

/** One region name (e.g. `--aws-region`), trimmed; a ConfigurationError naming `field` otherwise. */
export function parseRegionName(value: string, field: string): string {
  const r = value.trim();
  if (!REGION.test(r)) {
    throw new ConfigurationError(
      `${field}: "${r}" is not an AWS region name. Use a name such as us-east-1.`,
      field,
    );
  }
  return r;
}

export function parseAccounts(value: string | string[] | undefined, field = '--accounts'): string[] | 'all' {
  if (value === undefined) return 'all';
  const items = splitList(value);
  if (items.length === 0 || (items.length === 1 && items[0]!.toLowerCase() === 'all')) return 'all';
  for (const a of items) {
    if (!ACCOUNT.test(a)) {
      throw new ConfigurationError(
        `${field}: "${a}" is not an AWS account id. Use 12-digit ids such as 123456789012 (comma-separated) or "all".`,
        field,
      );
    }
  }
  return [...new Set(items)];
}
