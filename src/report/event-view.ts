/**
 * How one event reads to a person, the same in the terminal, the job summary and annotations:
 * who acted, in a short form that is never cut, and whether the call worked. Raw text: escape it
 * for the place it is shown in.
 */
import { principalOf } from '../engines/scan/event-fields.js';

export { principalOf };

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * The principal as a person names it: an IAM user's name, `role/session` for an assumed role,
 * `root`, a federated user's name, the invoking service. Falls back to the full form
 * ({@link principalOf}) where no shorter name is known.
 */
export function principalShort(record: Record<string, unknown>): string {
  const id = obj(record.userIdentity);
  if (!id) return principalOf(record);
  const type = str(id.type);
  if (type === 'Root') return 'root';
  const arn = str(id.arn);
  const resource = arn ? arnResource(arn) : undefined;
  if (resource) {
    const [kind, ...rest] = resource.split('/');
    if (kind === 'assumed-role' && rest.length >= 2) return `${rest[0]}/${rest.slice(1).join('/')}`;
    if ((kind === 'user' || kind === 'federated-user' || kind === 'role') && rest.length > 0)
      return rest[rest.length - 1]!;
    if (resource === 'root') return 'root';
  }
  if (type === 'AWSService' || type === 'AWSAccount')
    return str(id.invokedBy) ?? str(id.accountId) ?? principalOf(record);
  return str(id.userName) ?? principalOf(record);
}

/** The resource part of an ARN (`user/path/alice` of `arn:aws:iam::1:user/path/alice`). */
function arnResource(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' ? parts.slice(5).join(':') : undefined;
}

/**
 * One status for the call: `ok`, its error code, or the reason a sign-in failed. A failed
 * `ConsoleLogin` has no errorCode: it says `responseElements.ConsoleLogin: "Failure"` and gives
 * the reason in errorMessage.
 */
export function eventStatus(record: Record<string, unknown>): { ok: boolean; text: string } {
  const errorCode = str(record.errorCode);
  if (errorCode) return { ok: false, text: errorCode };
  const outcome = str(obj(record.responseElements)?.ConsoleLogin);
  if (outcome !== undefined && outcome.toLowerCase() === 'failure') {
    return {
      ok: false,
      text: `sign-in failed${str(record.errorMessage) ? `: ${str(record.errorMessage)}` : ''}`,
    };
  }
  if (str(obj(record.responseElements)?.CheckMfa)?.toLowerCase() === 'failure')
    return { ok: false, text: 'MFA failed' };
  return { ok: true, text: 'ok' };
}

/**
 * {@link principalShort} for a principal already written as text (summary.json's top principals
 * hold {@link principalOf}): an ARN becomes its short name by the same rules, anything else
 * (a user name, a service) is kept.
 */
export function principalTextShort(principal: string): string {
  const resource = arnResource(principal);
  if (!resource) return principal;
  const [kind, ...rest] = resource.split('/');
  if (resource === 'root') return 'root';
  if (kind === 'assumed-role' && rest.length >= 2) return `${rest[0]}/${rest.slice(1).join('/')}`;
  if ((kind === 'user' || kind === 'federated-user' || kind === 'role') && rest.length > 0)
    return rest[rest.length - 1]!;
  return principal;
}

/** The account of an ARN (`123456789012` of `arn:aws:iam::123456789012:user/alice`). */
export function arnAccount(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[4] ? parts[4] : undefined;
}
