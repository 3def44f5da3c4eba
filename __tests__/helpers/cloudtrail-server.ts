/**
 * A stand-in for the CloudTrail control plane speaking its JSON protocol, for
 * `AWS_ENDPOINT_URL_CLOUDTRAIL`: a POST of `application/x-amz-json-1.1` with
 * `X-Amz-Target: CloudTrail_20131101.DescribeTrails`, answered as CloudTrail answers (a
 * `trailList` of the trails named by name or ARN, or every trail when no name is given), and
 * `GetTrailStatus` (the trail's `Status`, times as epoch seconds as the JSON protocol sends them;
 * `TrailNotFoundException` for an unknown trail, `AccessDeniedException` when `statusDenied`). Any
 * other operation gets CloudTrail's JSON error.
 * Listens on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A trail as DescribeTrails returns it (only the fields this tool reads, and the home region). */
export interface StandInTrail {
  Name: string;
  TrailARN: string;
  S3BucketName: string;
  S3KeyPrefix?: string;
  HomeRegion: string;
  IsOrganizationTrail?: boolean;
  /** GetTrailStatus's answer (times as Dates, sent as epoch seconds). */
  Status?: {
    IsLogging: boolean;
    LatestDeliveryTime?: Date;
    LatestDeliveryError?: string;
    StartLoggingTime?: Date;
    StopLoggingTime?: Date;
  };
  /** GetTrailStatus answers AccessDeniedException (a role without cloudtrail:GetTrailStatus). */
  statusDenied?: boolean;
}

export interface CloudTrailRequest {
  target: string | undefined;
  body: Record<string, unknown>;
  /** True when the request carried a SigV4 Authorization header. */
  signed: boolean;
}

export interface CloudTrailServer {
  endpoint: string;
  readonly requests: CloudTrailRequest[];
  close(): Promise<void>;
}

const TARGET_PREFIX = 'CloudTrail_20131101.';

export async function startCloudTrailServer(trails: StandInTrail[]): Promise<CloudTrailServer> {
  const requests: CloudTrailRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = req.headers['x-amz-target'] as string | undefined;
      const text = Buffer.concat(chunks).toString('utf8');
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      requests.push({ target, body, signed: /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? '') });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (req.method === 'POST' && target === `${TARGET_PREFIX}GetTrailStatus`) {
        const name = String(body.Name ?? '');
        const trail = trails.find((t) => t.Name === name || t.TrailARN === name);
        if (!trail)
          return reply(400, { __type: 'TrailNotFoundException', message: `Unknown trail: ${name}` });
        if (trail.statusDenied) {
          return reply(400, {
            __type: 'AccessDeniedException',
            message: 'not authorized: cloudtrail:GetTrailStatus',
          });
        }
        const st = trail.Status ?? { IsLogging: true };
        const seconds = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);
        return reply(200, {
          IsLogging: st.IsLogging,
          LatestDeliveryTime: seconds(st.LatestDeliveryTime),
          LatestDeliveryError: st.LatestDeliveryError,
          StartLoggingTime: seconds(st.StartLoggingTime),
          StopLoggingTime: seconds(st.StopLoggingTime),
        });
      }
      if (req.method !== 'POST' || target !== `${TARGET_PREFIX}DescribeTrails`) {
        reply(400, { __type: 'UnknownOperationException', message: `unknown operation ${target ?? ''}` });
        return;
      }
      const names = (body.trailNameList as string[] | undefined) ?? [];
      const listed =
        names.length === 0
          ? trails
          : trails.filter((t) => names.includes(t.Name) || names.includes(t.TrailARN));
      reply(200, { trailList: listed });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
