import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WireCheckpoint, WireJob } from '../upstream/wire.js';
import { type ActionReply, type ActionRules, type TenantJobs, createJobActions } from './actions.js';
import { DEMO_API_KEY, createDemoJobs } from './fixtures.js';
import { type ArtifactEndpoint, createJobArtifacts, routeArtifact, serveArtifact } from './job-artifacts.js';
import { type LivingDemo, type LivingDemoOptions, createLivingDemo } from './living.js';

/**
 * A real HTTP fake of the DashScope fine-tunes endpoints: list and get, a job's logs and
 * checkpoints (`job-artifacts.ts`), and the actions create, cancel, delete and export (`actions.ts`), with
 * the documented bodies and error table, per-key tenants, page limits, injected latency and faults
 * (on every route), and a log of every call so tests can count what reached the upstream.
 */

export type SimEndpoint = 'getJob' | 'listJobs' | ArtifactEndpoint | 'createJob' | 'cancelJob' | 'deleteJob' | 'exportCheckpoint' | 'other';

export interface SimCall {
  endpoint: SimEndpoint;
  method: string;
  /** Path and query exactly as received. */
  url: string;
  /** Decoded job id for getJob, getJobLogs, listCheckpoints, cancelJob, deleteJob and exportCheckpoint. */
  jobId: string | null;
  /** The parsed JSON request body (create), when there was one. */
  body?: unknown;
  apiKey: string | null;
  workspace: string | null;
  traceparent: string | null;
  status: number;
  requestId: string;
  at: number;
  /** When the response ended or its connection closed (set for `drip` replies). */
  endedAt?: number;
}

export type FaultAction =
  | { kind: 'status'; status: number; code?: string; message?: string; retryAfter?: string }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  /** The reply is made when the request arrives (the state as it was then) and sent `ms` later. */
  | { kind: 'delay-reply'; ms: number }
  | { kind: 'reset' }
  | { kind: 'reset-mid-body' }
  /** A 200 whose body arrives one byte every `intervalMs`: never a long enough gap for undici's bodyTimeout. */
  | { kind: 'drip'; intervalMs: number }
  | { kind: 'html'; status: number }
  | { kind: 'truncated' }
  | { kind: 'body'; status: number; body: string; contentType?: string }
  /** A 200 with the body of another job of the caller's tenant (a crossed reply, e.g. a proxy bug). */
  | { kind: 'other-job'; jobId: string };

export interface Fault {
  action: FaultAction;
  endpoint?: SimEndpoint;
  jobId?: string;
  /** How many matching calls it applies to; then it is spent. @default Infinity */
  times?: number;
}

export interface SimulatorOptions {
  /** api key -> that tenant's jobs. @default { [DEMO_API_KEY]: createDemoJobs() } */
  tenants?: Record<string, WireJob[]>;
  /** Latency added to every reply. @default 0 */
  latencyMs?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /**
   * Serve `GET /__simulator/stats` (call counts) and `POST /__simulator/reset` for a simulator in
   * another process (the benchmark). Control requests are not recorded as calls. @default false
   */
  control?: boolean;
  /**
   * The living demo (`living.ts`): new jobs now and then in the demo tenant (or the first), each
   * moving from PENDING to SUCCEEDED or FAILED. Off by default (tests see only the fixed jobs);
   * `main.ts` turns it on with `realTime` for `npm start`. Tests step it with `advance(ms)`.
   */
  living?: LivingDemoOptions;
  /** How cancel, delete and create behave (see `actions.ts`). */
  actions?: ActionRules;
}

export interface Simulator {
  /** `http://127.0.0.1:<port>`: use as DASHSCOPE_BASE_URL. */
  readonly origin: string;
  readonly port: number;
  readonly calls: readonly SimCall[];
  /** Calls to one endpoint (or all), optionally since an index into `calls`. */
  count(endpoint?: SimEndpoint, since?: number): number;
  resetCalls(): void;
  /** Requests being handled right now, and the most at once since the start (or `resetCalls`). */
  inFlight(): number;
  peakInFlight(): number;
  inject(fault: Fault): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  /** The jobs of a tenant; mutate through `upsertJob` so lists stay sorted. */
  jobs(apiKey?: string): readonly WireJob[];
  upsertJob(job: WireJob, apiKey?: string): void;
  updateJob(jobId: string, patch: Partial<WireJob>, apiKey?: string): void;
  /** A job's log so far (made up from the job's state on first use, see `job-artifacts.ts`). */
  logs(jobId: string, apiKey?: string): readonly string[];
  /** Writes lines to a job's log, as a running job does. */
  appendLogs(jobId: string, lines: readonly string[], apiKey?: string): void;
  /** A job's checkpoints as `GET …/checkpoints` answers them. */
  checkpoints(jobId: string, apiKey?: string): readonly WireCheckpoint[];
  setCheckpoints(jobId: string, checkpoints: readonly WireCheckpoint[], apiKey?: string): void;
  /** Removes a job, as if deleted upstream (tests: jobs disappearing between two list pages). */
  removeJob(jobId: string, apiKey?: string): void;
  /** The living demo, when `living` was given. */
  readonly living: LivingDemo | null;
  /** Moves the living demo's clock forward (throws without `living`). */
  advance(ms: number): void;
  /** Changes how cancel, delete and create behave from now on. */
  setActionRules(rules: ActionRules): void;
  /** Moves every CANCELING job of a tenant that this simulator canceled to CANCELED now (and every exporting checkpoint to SUCCEEDED). */
  settleCancels(apiKey?: string): void;
  close(): Promise<void>;
}

const API_PREFIX = '/api/v1/fine-tunes';

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const tenants = new Map<string, WireJob[]>(
    Object.entries(options.tenants ?? { [DEMO_API_KEY]: createDemoJobs() }).map(([key, jobs]) => [key, sortNewestFirst([...jobs])]),
  );
  const artifacts = createJobArtifacts();
  let latencyMs = options.latencyMs ?? 0;
  let faults: Fault[] = [];
  const calls: SimCall[] = [];
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();
  let inFlight = 0;
  let peakInFlight = 0;
  const actions = createJobActions(options.actions, {
    list: (tenant, job) => artifacts.checkpoints(tenant, job),
    set: (tenant, jobId, list) => artifacts.setCheckpoints(tenant, jobId, list),
  });

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (options.control && url.startsWith('/__simulator/')) return control(url, req, res);
    const method = req.method ?? 'GET';
    const { endpoint, jobId, checkpoint } = route(method, url);
    // An action's body is read whole before anything else: a fault then strikes after it was sent.
    const text = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
    const apiKey = bearer(req.headers.authorization);
    const workspace = headerValue(req.headers['x-dashscope-workspace']);
    const requestId = randomUUID();
    const call: SimCall = {
      endpoint,
      method: req.method ?? 'GET',
      url,
      jobId,
      apiKey,
      workspace,
      traceparent: headerValue(req.headers.traceparent),
      status: 0,
      requestId,
      at: Date.now(),
    };
    if (text !== '') call.body = parseJson(text);
    calls.push(call);
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    res.once('close', () => {
      inFlight -= 1;
    });

    const fault = takeFault(endpoint, jobId);
    if (latencyMs > 0) await sleep(latencyMs);
    if (fault) {
      const handled = await applyFault(fault.action, res, call);
      if (handled) return;
    }

    if (endpoint === 'other' && method !== 'GET')
      return send(res, call, 405, { code: 'MethodNotAllowed', message: 'Method not allowed.', request_id: requestId });
    const jobs = apiKey === null ? undefined : tenants.get(apiKey);
    if (apiKey === null || jobs === undefined) {
      return send(res, call, 401, { code: 'InvalidApiKey', message: 'Invalid API-key provided.', request_id: requestId });
    }
    const tenant = tenantView(apiKey, workspace);
    actions.settle(tenant);
    const answer = (reply: ActionReply): void => send(res, call, reply.status, { request_id: requestId, ...reply.body });
    if (endpoint === 'createJob') {
      if (call.body === undefined && text !== '') {
        return send(res, call, 400, { code: 'InvalidParameter', message: 'The request body is not JSON.', request_id: requestId });
      }
      return answer(actions.create(tenant, call.body, workspace));
    }
    if (endpoint === 'cancelJob' && jobId !== null) return answer(actions.cancel(tenant, jobId));
    if (endpoint === 'deleteJob' && jobId !== null) return answer(actions.delete(tenant, jobId));
    if (endpoint === 'exportCheckpoint' && jobId !== null && checkpoint !== undefined) {
      return answer(actions.export(tenant, jobId, checkpoint, new URL(url, 'http://sim').searchParams.get('model_name')));
    }
    const visible = workspace === null ? jobs : jobs.filter((job) => job.workspace_id === workspace);
    if (endpoint === 'getJob' && jobId !== null) {
      const job = visible.find((candidate) => candidate.job_id === jobId);
      if (!job) return send(res, call, 404, { code: 'NotFound', message: 'Not found!', request_id: requestId });
      return send(res, call, 200, { request_id: requestId, output: job });
    }
    if (endpoint === 'listJobs') return listJobs(new URL(url, 'http://sim').searchParams, visible, res, call);
    if ((endpoint === 'getJobLogs' || endpoint === 'listCheckpoints') && jobId !== null) {
      const job = visible.find((candidate) => candidate.job_id === jobId);
      if (!job) return send(res, call, 404, { code: 'NotFound', message: 'Not found!', request_id: requestId });
      const reply = serveArtifact(endpoint, new URL(url, 'http://sim').searchParams, artifacts, apiKey as string, job, requestId);
      return send(res, call, reply.status, reply.body);
    }
    return send(res, call, 404, { code: 'NotFound', message: 'Not found!', request_id: requestId });
  }

  /** One tenant's jobs, seen through the request's workspace, for the actions. */
  function tenantView(apiKey: string, workspace: string | null): TenantJobs {
    return {
      tenant: apiKey,
      all: () => tenantJobs(apiKey),
      visible: () => {
        const all = tenantJobs(apiKey);
        return workspace === null ? all : all.filter((job) => job.workspace_id === workspace);
      },
      add: (job) => {
        const all = tenantJobs(apiKey);
        all.push(job);
        sortNewestFirst(all);
      },
      update: (id, patch) => {
        const all = tenantJobs(apiKey);
        const index = all.findIndex((candidate) => candidate.job_id === id);
        if (index !== -1) all[index] = { ...(all[index] as WireJob), ...patch };
      },
      remove: (id) => {
        const all = tenantJobs(apiKey);
        const index = all.findIndex((candidate) => candidate.job_id === id);
        if (index !== -1) all.splice(index, 1);
      },
    };
  }

  function control(url: string, req: IncomingMessage, res: ServerResponse): void {
    if (url === '/__simulator/reset' && req.method === 'POST') calls.length = 0;
    const byEndpoint: Record<string, number> = {};
    for (const call of calls) byEndpoint[call.endpoint] = (byEndpoint[call.endpoint] ?? 0) + 1;
    const body = JSON.stringify({ calls: calls.length, byEndpoint });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  function listJobs(params: URLSearchParams, jobs: WireJob[], res: ServerResponse, call: SimCall): void {
    const pageNo = intParam(params.get('page_no'), 1);
    const pageSize = intParam(params.get('page_size'), 10);
    if (pageNo === null || pageNo < 1) {
      send(res, call, 400, { code: 'InvalidParameter', message: 'page_no must be a positive integer', request_id: call.requestId });
      return;
    }
    if (pageSize === null || pageSize < 1 || pageSize > 100) {
      send(res, call, 400, { code: 'InvalidParameter', message: 'page_size must be between 1 and 100', request_id: call.requestId });
      return;
    }
    const model = params.get('model');
    const filtered = model === null ? jobs : jobs.filter((job) => job.model === model);
    const start = (pageNo - 1) * pageSize;
    send(res, call, 200, {
      request_id: call.requestId,
      output: { page_no: pageNo, page_size: pageSize, total: filtered.length, jobs: filtered.slice(start, start + pageSize) },
    });
  }

  function takeFault(endpoint: SimEndpoint, jobId: string | null): Fault | undefined {
    const index = faults.findIndex(
      (fault) => (fault.endpoint === undefined || fault.endpoint === endpoint) && (fault.jobId === undefined || fault.jobId === jobId),
    );
    if (index === -1) return undefined;
    const fault = faults[index] as Fault;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) faults.splice(index, 1);
    }
    return fault;
  }

  /** Returns true when the fault produced the whole response (or none at all). */
  async function applyFault(action: FaultAction, res: ServerResponse, call: SimCall): Promise<boolean> {
    switch (action.kind) {
      case 'delay':
        await sleep(action.ms);
        return false;
      case 'delay-reply':
        deferred.set(res, action.ms);
        return false;
      case 'hang':
        hung.add(res);
        res.on('close', () => hung.delete(res));
        call.status = -1;
        return true;
      case 'reset':
        call.status = -1;
        res.socket?.destroy();
        return true;
      case 'drip': {
        call.status = 200;
        const body = Buffer.from(JSON.stringify({ request_id: call.requestId, output: { job_id: 'ft-dripping', status: 'RUNNING' } }));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        hung.add(res);
        let sent = 0;
        const timer = setInterval(() => {
          if (sent >= body.length || res.destroyed) {
            clearInterval(timer);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(body.subarray(sent, sent + 1));
          sent += 1;
        }, action.intervalMs);
        res.on('close', () => {
          clearInterval(timer);
          hung.delete(res);
          call.endedAt = Date.now();
        });
        return true;
      }
      case 'reset-mid-body': {
        call.status = 200;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        res.write(`{"request_id":"${call.requestId}","output":{"job_id":"ft-`);
        setTimeout(() => res.socket?.destroy(), 10);
        return true;
      }
      case 'status': {
        const headers: Record<string, string> = {};
        if (action.retryAfter !== undefined) headers['retry-after'] = action.retryAfter;
        send(
          res,
          call,
          action.status,
          { code: action.code ?? defaultCode(action.status), message: action.message ?? 'Injected failure', request_id: call.requestId },
          headers,
        );
        return true;
      }
      case 'html':
        sendRaw(res, call, action.status, 'text/html', `<html><body><h1>${action.status} Bad Gateway</h1></body></html>`);
        return true;
      case 'truncated':
        sendRaw(res, call, 200, 'application/json', `{"request_id":"${call.requestId}","output":{"job_id":"ft-2024`);
        return true;
      case 'body':
        sendRaw(res, call, action.status, action.contentType ?? 'application/json', action.body);
        return true;
      case 'other-job': {
        const job = (tenants.get(call.apiKey ?? '') ?? []).find((candidate) => candidate.job_id === action.jobId);
        if (job === undefined) throw new Error(`simulator: no job ${action.jobId} for the other-job fault`);
        send(res, call, 200, { request_id: call.requestId, output: job });
        return true;
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';

  const tenantJobs = (apiKey: string = DEMO_API_KEY): WireJob[] => {
    const jobs = tenants.get(apiKey);
    if (!jobs) throw new Error(`simulator: no tenant with key ${apiKey.slice(0, 4)}…`);
    return jobs;
  };
  const tenantJob = (jobId: string, apiKey: string = DEMO_API_KEY): WireJob => {
    const job = tenantJobs(apiKey).find((candidate) => candidate.job_id === jobId);
    if (job === undefined) throw new Error(`simulator: no job ${jobId}`);
    return job;
  };

  const livingKey = tenants.has(DEMO_API_KEY) ? DEMO_API_KEY : tenants.keys().next().value;
  const living =
    options.living === undefined || livingKey === undefined
      ? null
      : createLivingDemo(
          {
            add: (job) => {
              const jobs = tenantJobs(livingKey);
              jobs.push(job);
              sortNewestFirst(jobs);
            },
            update: (jobId, patch) => {
              const jobs = tenantJobs(livingKey);
              const index = jobs.findIndex((candidate) => candidate.job_id === jobId);
              const current = jobs[index];
              // A job someone canceled stays canceled: the demo's plan for it no longer applies.
              if (current === undefined || current.status === 'CANCELING' || current.status === 'CANCELED') return;
              jobs[index] = { ...current, ...patch };
            },
            remove: (jobId) => {
              const jobs = tenantJobs(livingKey);
              const index = jobs.findIndex((candidate) => candidate.job_id === jobId);
              if (index !== -1) jobs.splice(index, 1);
              artifacts.forget(livingKey, jobId);
            },
            appendLogs: (jobId, lines) => artifacts.appendLogs(livingKey, jobId, lines),
          },
          options.living,
        );

  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    calls,
    count: (endpoint, since = 0) => calls.slice(since).filter((call) => endpoint === undefined || call.endpoint === endpoint).length,
    resetCalls: () => {
      calls.length = 0;
      peakInFlight = inFlight;
    },
    inFlight: () => inFlight,
    peakInFlight: () => peakInFlight,
    inject: (fault) => {
      faults.push({ ...fault });
    },
    clearFaults: () => {
      faults = [];
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    jobs: (apiKey) => tenantJobs(apiKey),
    upsertJob: (job, apiKey) => {
      const jobs = tenantJobs(apiKey);
      const index = jobs.findIndex((candidate) => candidate.job_id === job.job_id);
      if (index === -1) jobs.push(job);
      else jobs[index] = job;
      sortNewestFirst(jobs);
    },
    updateJob: (jobId, patch, apiKey) => {
      const jobs = tenantJobs(apiKey);
      const index = jobs.findIndex((candidate) => candidate.job_id === jobId);
      if (index === -1) throw new Error(`simulator: no job ${jobId}`);
      jobs[index] = { ...(jobs[index] as WireJob), ...patch };
    },
    logs: (jobId, apiKey = DEMO_API_KEY) => artifacts.logs(apiKey, tenantJob(jobId, apiKey)),
    appendLogs: (jobId, lines, apiKey = DEMO_API_KEY) => {
      tenantJob(jobId, apiKey);
      artifacts.appendLogs(apiKey, jobId, lines);
    },
    checkpoints: (jobId, apiKey = DEMO_API_KEY) => artifacts.checkpoints(apiKey, tenantJob(jobId, apiKey)),
    setCheckpoints: (jobId, checkpoints, apiKey = DEMO_API_KEY) => {
      tenantJob(jobId, apiKey);
      artifacts.setCheckpoints(apiKey, jobId, checkpoints);
    },
    removeJob: (jobId, apiKey) => {
      const jobs = tenantJobs(apiKey);
      const index = jobs.findIndex((candidate) => candidate.job_id === jobId);
      if (index === -1) throw new Error(`simulator: no job ${jobId}`);
      jobs.splice(index, 1);
    },
    living,
    advance: (ms) => {
      if (living === null) throw new Error('simulator: started without `living`, nothing to advance');
      living.advance(ms);
    },
    setActionRules: (rules) => actions.setRules(rules),
    settleCancels: (apiKey = DEMO_API_KEY) => {
      tenantJobs(apiKey);
      actions.settleAll(tenantView(apiKey, null));
    },
    close: async () => {
      living?.stop();
      for (const res of hung) res.socket?.destroy();
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function route(method: string, url: string): { endpoint: SimEndpoint; jobId: string | null; checkpoint?: string } {
  const path = url.split('?', 1)[0] ?? '';
  if (path === API_PREFIX) {
    if (method === 'GET') return { endpoint: 'listJobs', jobId: null };
    if (method === 'POST') return { endpoint: 'createJob', jobId: null };
  }
  const artifact = method === 'GET' ? routeArtifact(path, API_PREFIX) : null;
  if (artifact !== null) return artifact;
  if (path.startsWith(`${API_PREFIX}/`)) {
    const segments = path.slice(API_PREFIX.length + 1).split('/');
    const id = segments[0] === undefined || segments[0] === '' ? null : decodeSegment(segments[0]);
    if (id !== null && segments.length === 1 && method === 'GET') return { endpoint: 'getJob', jobId: id };
    if (id !== null && segments.length === 1 && method === 'DELETE') return { endpoint: 'deleteJob', jobId: id };
    if (id !== null && segments.length === 2 && segments[1] === 'cancel' && method === 'POST') return { endpoint: 'cancelJob', jobId: id };
    const checkpoint = segments.length === 3 && segments[1] === 'export' ? decodeSegment(segments[2] as string) : null;
    if (id !== null && checkpoint !== null && checkpoint !== '' && method === 'GET')
      return { endpoint: 'exportCheckpoint', jobId: id, checkpoint };
  }
  return { endpoint: 'other', jobId: null };
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** A request body, up to 1 MiB (more is cut off: the simulator only needs JSON create bodies). */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= 1024 * 1024) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, call: SimCall, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendRaw(res, call, status, 'application/json', JSON.stringify(body), headers);
}

function sendRaw(
  res: ServerResponse,
  call: SimCall,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  call.status = status;
  const write = (): void => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };
  const delayMs = deferred.get(res);
  if (delayMs === undefined) write();
  else setTimeout(write, delayMs);
}

/** Replies held back by a `delay-reply` fault, and for how long. */
const deferred = new WeakMap<ServerResponse, number>();

function defaultCode(status: number): string {
  if (status === 400) return 'InvalidParameter';
  if (status === 401) return 'InvalidApiKey';
  if (status === 403) return 'AccessDenied';
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 429) return 'Throttling';
  return 'InternalError';
}

function bearer(header: string | undefined): string | null {
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

function headerValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function intParam(value: string | null, fallback: number): number | null {
  if (value === null) return fallback;
  return /^-?\d+$/.test(value) ? Number(value) : null;
}

function sortNewestFirst(jobs: WireJob[]): WireJob[] {
  return jobs.sort((a, b) => (b.create_time ?? '').localeCompare(a.create_time ?? ''));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
