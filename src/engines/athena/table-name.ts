/**
 * One table per log location, named from it: `cloudtrail_<bucket>_<hash>`. The readable part helps
 * people find the table; the hash (of bucket, prefix and organization id) keeps two locations from
 * ever sharing a table, even when their sanitised bucket names collide, and makes reruns reuse it.
 */
import { createHash } from 'node:crypto';

const READABLE_MAX = 40;

export function tableNameFor(location: {
  bucket: string;
  prefix: string;
  orgId?: string | undefined;
}): string {
  const readable = location.bucket
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, READABLE_MAX);
  const hash = createHash('sha256')
    .update(`${location.bucket}\n${location.prefix}\n${location.orgId ?? ''}`)
    .digest('hex')
    .slice(0, 12);
  return `cloudtrail_${readable}_${hash}`;
}
