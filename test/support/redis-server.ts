import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A private redis-server (Debian's `redis-server` package, or REDIS_SERVER_PATH) on a free port of
 * 127.0.0.1, nothing persisted. `stop()` kills it; `start()` brings it back on the same port, empty,
 * as a restarted Redis without persistence would be.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>/0` */
  readonly url: string;
  /** A client of the test's own (ioredis), for looking at what the gateway stored. */
  client(): Redis;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing is answered (a Redis that hangs). `resume()`: SIGCONT. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export const REDIS_SERVER_PATH = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}/0`;
  let child: ChildProcess | null = null;
  let own: Redis | null = null;

  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
    const started = spawn(REDIS_SERVER_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    started.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      const check = (): void => {
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 20);
      };
      check();
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited ${code}: ${output}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    running.kill('SIGCONT');
    await exited;
  };
  await start();

  return {
    port,
    url,
    client() {
      own ??= new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
      return own;
    },
    stop,
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async close() {
      own?.disconnect();
      await stop();
    },
  };
}
