/**
 * A TCP listener on 127.0.0.1 that records every connection and answers none: pointed at by
 * AWS_ENDPOINT_URL (every service) and AWS_ENDPOINT_URL_S3, it proves whether a run made any AWS
 * call. A connection is counted before any byte is read, so even a call that fails is seen.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface AwsListener {
  /** Environment that sends every AWS SDK call of a child process here. */
  env: Record<string, string>;
  readonly connections: number;
  close(): Promise<void>;
}

export async function startAwsListener(): Promise<AwsListener> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    // Close at once: the SDK sees a reset, fails fast and the run ends.
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_MAX_ATTEMPTS: '1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
