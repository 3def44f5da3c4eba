/**
 * A stand-in for the GitHub Actions OIDC token endpoint, as `@actions/core`'s `getIDToken` calls
 * it: GET `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>` with `Authorization: Bearer
 * $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answered with `{"value": "<jwt>"}`. Listens on 127.0.0.1.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface IssuedToken {
  audience: string | null;
  token: string;
}

export interface OidcServer {
  /** The two variables the runner sets when the job has `id-token: write`. */
  env: { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** Tokens handed out, in order. */
  readonly issued: IssuedToken[];
  /** Requests refused (wrong bearer token). */
  readonly refused: number;
  close(): Promise<void>;
}

const b64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT shaped like GitHub's (claims of a push to main); the signature is random bytes. */
export function githubStyleJwt(claims: Record<string, unknown>): string {
  const header = { typ: 'JWT', alg: 'RS256', kid: 'test-key' };
  return `${b64url(header)}.${b64url(claims)}.${randomBytes(64).toString('base64url')}`;
}

export async function startOidcServer(options: { repository?: string } = {}): Promise<OidcServer> {
  const repository = options.repository ?? 'octo-org/audit-repo';
  const requestToken = `oidc-request-${randomBytes(12).toString('hex')}`;
  const issued: IssuedToken[] = [];
  let refused = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/token' || url.searchParams.get('api-version') !== '2.0') {
      res.writeHead(404).end();
      return;
    }
    if (req.headers.authorization !== `Bearer ${requestToken}`) {
      refused++;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"bad token"}');
      return;
    }
    const audience = url.searchParams.get('audience');
    const now = Math.floor(Date.now() / 1000);
    const token = githubStyleJwt({
      jti: randomBytes(8).toString('hex'),
      sub: `repo:${repository}:ref:refs/heads/main`,
      aud: audience ?? `https://github.com/${repository.split('/')[0]}`,
      ref: 'refs/heads/main',
      repository,
      iss: 'https://token.actions.githubusercontent.com',
      nbf: now - 5,
      iat: now,
      exp: now + 300,
    });
    issued.push({ audience, token });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ count: 1, value: token }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    },
    issued,
    get refused() {
      return refused;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
