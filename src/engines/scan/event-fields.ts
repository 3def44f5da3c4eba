/**
 * The few fields of a matched record that summaries and tables read, taken in the worker thread
 * that already parsed the record, so the main thread need not parse every match again.
 */
import type { EventFields } from '../types.js';

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Who acted, one rule for every report (terminal, summary.json, job summary, annotations): the
 * ARN; else the role a session was issued by; else the user name (identity types without an ARN);
 * else the principal id; else the invoking service; else the identity type.
 */
export function principalOf(record: Record<string, unknown>): string {
  const id = record.userIdentity;
  if (id === null || typeof id !== 'object') return '(unknown)';
  const u = id as Record<string, unknown>;
  return (
    str(u.arn) ??
    str(issuerArn(u.sessionContext)) ??
    str(u.userName) ??
    str(u.principalId) ??
    str(u.invokedBy) ??
    str(u.type) ??
    '(unknown)'
  );
}

function issuerArn(sessionContext: unknown): unknown {
  if (sessionContext === null || typeof sessionContext !== 'object') return undefined;
  const issuer = (sessionContext as Record<string, unknown>).sessionIssuer;
  return issuer !== null && typeof issuer === 'object' ? (issuer as Record<string, unknown>).arn : undefined;
}

export function eventFields(record: Record<string, unknown>): EventFields {
  return {
    eventTime: str(record.eventTime),
    eventName: str(record.eventName),
    principal: principalOf(record),
    sourceIPAddress: str(record.sourceIPAddress),
    awsRegion: str(record.awsRegion),
    errorCode: str(record.errorCode),
  };
}
