/**
 * cloudtrail:GetTrailStatus for `--trail` sources: the cheapest proof that a trail is alive
 * (IsLogging, LatestDeliveryTime, LatestDeliveryError). A stopped trail is never a clean result.
 * A status that cannot be read (a missing permission) is reported as such, not as a failure.
 */
import { CloudTrailClient, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { baseClientConfig } from '../aws/clients.js';
import { defaultRegion } from '../aws/settings.js';
import { errorMessage } from '../errors.js';
import type { Credentials } from '../investigation.js';
import type { TrailStatusReport } from '../report/types.js';

const TRAIL_ARN_REGION = /^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):\d{12}:trail\//;

export type CloudTrailClientFor = (region: string) => Pick<CloudTrailClient, 'send'>;

export async function trailStatuses(
  trails: string[],
  credentials: Credentials,
  clientFor: CloudTrailClientFor = (region) => new CloudTrailClient(baseClientConfig(credentials, region)),
): Promise<TrailStatusReport[]> {
  return Promise.all(
    trails.map(async (trail): Promise<TrailStatusReport> => {
      const region = TRAIL_ARN_REGION.exec(trail)?.[1] ?? defaultRegion(credentials);
      try {
        const s = await clientFor(region).send(new GetTrailStatusCommand({ Name: trail }));
        const iso = (d: Date | undefined) => (d ? { value: d.toISOString() } : undefined);
        const report: TrailStatusReport = { trail };
        if (s.IsLogging !== undefined) report.isLogging = s.IsLogging;
        const latest = iso(s.LatestDeliveryTime);
        if (latest) report.latestDeliveryTime = latest.value;
        if (s.LatestDeliveryError) report.latestDeliveryError = s.LatestDeliveryError;
        const started = iso(s.StartLoggingTime);
        if (started) report.startLoggingTime = started.value;
        const stopped = iso(s.StopLoggingTime);
        if (stopped) report.stopLoggingTime = stopped.value;
        return report;
      } catch (err) {
        const denied = /AccessDenied|UnauthorizedOperation/i.test((err as { name?: string }).name ?? '');
        return {
          trail,
          error: denied
            ? `access denied: the credentials need cloudtrail:GetTrailStatus to check that the trail is logging`
            : errorMessage(err),
        };
      }
    }),
  );
}
