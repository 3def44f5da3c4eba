/**
 * nginx in front of the lean S3-protocol server (bench/s3-server.ts), for the `scan-s3` rows: it
 * answers object GETs (`/bucket/key`, path-style) straight from the dataset's folder and passes
 * every other request (listings, bucket calls) to the lean server.
 *
 * Why: on loopback the server runs on the same cores as the scan, and real S3 does not. The lean
 * Node server spends ~0.7-1 ms of CPU per GET (Node's HTTP server, cold in a 500-request run),
 * as much as the client; nginx serves a static file for a few tens of microseconds, so the row
 * shows the cost of our S3 client rather than of the stand-in server. Used when `nginx` is
 * installed (`apt-get install nginx-light`); like the lean server it checks no signature.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BENCH_S3_REGION, startBenchS3Server } from './s3-server.js';

export interface NginxS3Server {
  endpoint: string;
  bucket: string;
  env: Record<string, string>;
  objects: number;
  /** CPU time (ms) nginx and the lean server spent so far. */
  cpuMs(): Promise<number>;
  close(): Promise<void>;
}

/** Where nginx is, when it is installed. */
export async function nginxPath(): Promise<string | undefined> {
  for (const dir of ['/usr/sbin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':')]) {
    const candidate = path.join(dir, 'nginx');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A port free right now on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** User + system CPU time of a process (ms), from /proc; 0 once it is gone. */
async function processCpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields from the state on (the command name before it may hold spaces): utime, stime are 12th, 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on 127.0.0.1:${port}: ${stderr()}`);
}

export async function startNginxS3Server(options: {
  nginx: string;
  dir: string;
  bucket: string;
}): Promise<NginxS3Server> {
  const lean = await startBenchS3Server({ dir: options.dir, bucket: options.bucket });
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'ct-bench-nginx-'));
  const port = await freePort();
  const root = path.resolve(options.dir);
  const conf = `
worker_processes 1;
daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log stderr error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  default_type binary/octet-stream;
  server {
    listen 127.0.0.1:${port};
    # Bucket calls (listings), with or without the trailing slash: the lean server. Both spelled
    # out: nginx would answer 301 for the one without (S3 never does).
    location = /${options.bucket} {
      proxy_pass ${lean.endpoint};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location = /${options.bucket}/ {
      proxy_pass ${lean.endpoint};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location /${options.bucket}/ {
      limit_except GET HEAD { deny all; }
      alias ${root}/;
    }
    location / {
      proxy_pass ${lean.endpoint};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  await writeFile(path.join(prefix, 'nginx.conf'), conf);
  const child = spawn(options.nginx, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      await exited;
    }
    await lean.close();
    await rm(prefix, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => stderr);
  } catch (err) {
    await close();
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket: options.bucket,
    objects: lean.objects,
    env: { ...lean.env, AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: BENCH_S3_REGION },
    cpuMs: async () => {
      const own = process.cpuUsage();
      return (await processCpuMs(child.pid ?? -1)) + (own.user + own.system) / 1000;
    },
    close,
  };
}
