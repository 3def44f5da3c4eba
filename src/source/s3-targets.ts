/**
 * The S3 side of opening a source: an `s3://` location, or trails resolved to their bucket and
 * prefix (cloudtrail:DescribeTrails). Loaded only when a source needs it (open.ts), with the AWS
 * SDK it brings; the CloudTrail client only for trails.
 */
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { Investigation } from '../investigation.js';
import { baseClientConfig, createS3Client } from '../aws/clients.js';
import { defaultRegion } from '../aws/settings.js';
import type { PlanRoot } from './planner.js';
import { S3Store } from './s3-store.js';
import type { ObjectStore } from './types.js';

/** A store to read from and where in it the trail's logs start. */
export interface Target {
  store: ObjectStore;
  root: PlanRoot;
}

/** The buckets and prefixes of an `s3` or `trails` source, each bucket and prefix once. */
export async function s3Targets(
  source: Exclude<Investigation['source'], { kind: 'local' }>,
  credentials: Investigation['credentials'],
): Promise<Target[]> {
  const s3 = createS3Client(credentials);
  if (source.kind === 's3') {
    return [
      {
        store: new S3Store({ client: s3, bucket: source.bucket }),
        root: { kind: 's3', prefix: source.prefix },
      },
    ];
  }
  // Imported here: an `s3://` search never evaluates the CloudTrail client (10-20 ms of start-up
  // on a 2-core runner). "eager" keeps the modules in the one bundle file.
  const [{ CloudTrailClient }, { trailTargets }] = await Promise.all([
    import(/* webpackMode: "eager" */ '@aws-sdk/client-cloudtrail'),
    import(/* webpackMode: "eager" */ './trail.js'),
  ]);
  const clients = new Map<string, CloudTrailClient>();
  const cloudtrail = (r: string) => {
    let c = clients.get(r);
    if (!c) clients.set(r, (c = new CloudTrailClient(baseClientConfig(credentials, r))));
    return c;
  };
  const targets = await trailTargets(source.trails, {
    cloudtrail,
    defaultRegion: defaultRegion(credentials),
  });
  return targets.map(({ bucket, prefix }) => ({
    store: new S3Store({ client: s3, bucket }),
    root: { kind: 's3', prefix },
  }));
}
