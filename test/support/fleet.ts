import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { type LoadBalancer, startHaproxy } from './haproxy.js';

/**
 * Gateway replicas as real processes (`src/main.ts`, as `npm start` runs it) sharing one upstream
 * and, when given, one Redis, behind a real HAProxy. Each replica's log lines are kept.
 */
export interface Replica {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly lines: string[];
  /** SIGKILL: the replica dies without a goodbye (no lease released, nothing flushed). */
  kill(): Promise<void>;
  readonly alive: boolean;
}

export interface Fleet {
  replicas: Replica[];
  lb: LoadBalancer;
  close(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '../..');

export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info', NODE_ENV: 'test', ...env };
  for (const name of Object.keys(childEnv)) if (name.startsWith('OTEL_')) delete childEnv[name];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let pending = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica did not start: ${lines.join('\n')}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const ready = /ready at (http:\/\/\S+)\/graphql/.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolveUrl(ready[1]!);
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited ${code}: ${lines.join('\n')}`));
    });
  });
  return {
    url,
    lines,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function startFleet(count: number, env: Record<string, string>): Promise<Fleet> {
  const replicas = await Promise.all(Array.from({ length: count }, () => startReplica(env)));
  const lb = await startHaproxy(replicas.map((replica) => replica.url));
  return {
    replicas,
    lb,
    async close() {
      await lb.close();
      await Promise.all(replicas.map((replica) => replica.kill()));
    },
  };
}
