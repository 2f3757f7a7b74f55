import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

/**
 * Debian's HAProxy (or HAPROXY_PATH) in front of gateway replicas on 127.0.0.1: round robin, a
 * replica taken out when `/ready` fails. The config is the example of docs/scaling.md, with the
 * test's ports and short check intervals.
 */
export interface LoadBalancer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly config: string;
  close(): Promise<void>;
}

export const HAPROXY_PATH = process.env.HAPROXY_PATH ?? '/usr/sbin/haproxy';

export function haproxyConfig(port: number, backends: string[], checkIntervalMs = 200): string {
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    // A subscription (Server-Sent Events) is one long response: keep it open as long as it lives.
    '  timeout tunnel 1h',
    '  option http-server-close',
    // A replica that refuses the connection (just died): try another.
    '  retries 2',
    '  option redispatch',
    'frontend graphql',
    `  bind 127.0.0.1:${port}`,
    '  default_backend gateways',
    'backend gateways',
    '  balance roundrobin',
    '  option httpchk GET /ready',
    '  http-check expect status 200',
    `  default-server check inter ${checkIntervalMs} fall 2 rise 1`,
    ...backends.map((origin, index) => `  server gw${index + 1} ${new URL(origin).host}`),
    '',
  ].join('\n');
}

export async function startHaproxy(backends: string[]): Promise<LoadBalancer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  const config = haproxyConfig(port, backends);
  writeFileSync(file, config);
  // -db: foreground, no daemon; -W not needed for one process.
  const child: ChildProcess = spawn(HAPROXY_PATH, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${output}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`haproxy did not come up: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    config,
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
