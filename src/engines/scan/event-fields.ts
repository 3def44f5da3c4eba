/**
 * The few fields of a matched record that summaries and tables read, taken in the worker thread
 * that already parsed the record, so the main thread need not parse every match again.
 */
import type { EventFields } from '../types.js';

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Who acted: the ARN, else the principal id, else the invoking service, else the identity type. */
export function principalOf(record: Record<string, unknown>): string {
  const id = record.userIdentity;
  if (id === null || typeof id !== 'object') return '(unknown)';
  const u = id as Record<string, unknown>;
  return str(u.arn) ?? str(u.principalId) ?? str(u.invokedBy) ?? str(u.type) ?? '(unknown)';
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
