/**
 * A stand-in for AWS STS speaking its query protocol, for `AWS_ENDPOINT_URL_STS`: a form-encoded
 * POST with `Action=AssumeRoleWithWebIdentity`, answered with the XML document STS returns (or
 * STS's `<ErrorResponse>`). The caller decides which web identity tokens are valid; each
 * successful call issues fresh temporary credentials and reports them (e.g. so a test can make
 * its S3 server accept exactly these keys). Listens on 127.0.0.1.
 */
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface StsRequest {
  params: Record<string, string>;
  userAgent: string | undefined;
  /** True when the request was SigV4-signed (AssumeRoleWithWebIdentity needs no signature). */
  signed: boolean;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  roleArn: string;
  sessionName: string;
}

export interface StsServerOptions {
  /** Decides whether a WebIdentityToken is valid. */
  acceptToken(token: string): boolean;
  /** Called with every set of credentials issued. */
  onIssue?(creds: IssuedCredentials): void;
  /** Fail the first N calls with this error (e.g. to exercise retries). */
  failFirst?: { times: number; code: string; status: number };
}

export interface StsServer {
  endpoint: string;
  readonly requests: StsRequest[];
  readonly issued: IssuedCredentials[];
  close(): Promise<void>;
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const alnum = (n: number): string =>
  Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('');

function errorXml(type: 'Sender' | 'Receiver', code: string, message: string): string {
  return (
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n` +
    `  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n` +
    `  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`
  );
}

function claims(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
}

function successXml(creds: IssuedCredentials, token: string, durationSeconds: number): string {
  const c = claims(token);
  const account = /^arn:aws[\w-]*:iam::(\d{12}):role\/(.+)$/.exec(creds.roleArn);
  const roleName = account?.[2]?.split('/').pop() ?? 'role';
  const expiration = new Date(Date.now() + durationSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return (
    `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n` +
    `  <AssumeRoleWithWebIdentityResult>\n` +
    `    <SubjectFromWebIdentityToken>${xmlEscape(String(c.sub ?? ''))}</SubjectFromWebIdentityToken>\n` +
    `    <Audience>${xmlEscape(String(c.aud ?? ''))}</Audience>\n` +
    `    <AssumedRoleUser>\n` +
    `      <Arn>arn:aws:sts::${account?.[1] ?? '000000000000'}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(creds.sessionName)}</Arn>\n` +
    `      <AssumedRoleId>AROA${alnum(17)}:${xmlEscape(creds.sessionName)}</AssumedRoleId>\n` +
    `    </AssumedRoleUser>\n` +
    `    <Credentials>\n` +
    `      <SessionToken>${creds.sessionToken}</SessionToken>\n` +
    `      <SecretAccessKey>${creds.secretAccessKey}</SecretAccessKey>\n` +
    `      <Expiration>${expiration}</Expiration>\n` +
    `      <AccessKeyId>${creds.accessKeyId}</AccessKeyId>\n` +
    `    </Credentials>\n` +
    `    <Provider>${xmlEscape(String(c.iss ?? 'token.actions.githubusercontent.com').replace(/^https:\/\//, ''))}</Provider>\n` +
    `  </AssumeRoleWithWebIdentityResult>\n` +
    `  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n` +
    `</AssumeRoleWithWebIdentityResponse>\n`
  );
}

export async function startStsServer(options: StsServerOptions): Promise<StsServer> {
  const requests: StsRequest[] = [];
  const issued: IssuedCredentials[] = [];
  let failuresLeft = options.failFirst?.times ?? 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      requests.push({
        params,
        userAgent: req.headers['user-agent'],
        signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'),
      });
      const reply = (status: number, body: string) =>
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }).end(body);
      if (
        req.method !== 'POST' ||
        params.Action !== 'AssumeRoleWithWebIdentity' ||
        params.Version !== '2011-06-15'
      ) {
        reply(
          400,
          errorXml('Sender', 'InvalidAction', `Could not find operation ${params.Action ?? '(none)'}`),
        );
        return;
      }
      if (failuresLeft > 0) {
        failuresLeft--;
        const f = options.failFirst!;
        reply(f.status, errorXml(f.status >= 500 ? 'Receiver' : 'Sender', f.code, 'Injected failure'));
        return;
      }
      const token = params.WebIdentityToken ?? '';
      if (!options.acceptToken(token)) {
        reply(
          400,
          errorXml(
            'Sender',
            'InvalidIdentityToken',
            "Couldn't retrieve verification key from your identity provider",
          ),
        );
        return;
      }
      const duration = Number(params.DurationSeconds ?? '3600');
      if (!params.RoleArn || !params.RoleSessionName || !(duration >= 900 && duration <= 43_200)) {
        reply(
          400,
          errorXml(
            'Sender',
            'ValidationError',
            'RoleArn, RoleSessionName and a DurationSeconds of 900..43200 are required',
          ),
        );
        return;
      }
      const creds: IssuedCredentials = {
        accessKeyId: `ASIA${alnum(16)}`,
        secretAccessKey: randomBytes(30).toString('base64'),
        sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(180).toString('base64')}`,
        roleArn: params.RoleArn,
        sessionName: params.RoleSessionName,
      };
      issued.push(creds);
      options.onIssue?.(creds);
      reply(200, successXml(creds, token, duration));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    issued,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
