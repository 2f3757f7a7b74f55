import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import { Pool } from 'undici';

/**
 * A reference for the benchmark, not a product: the least a GraphQL server on graphql-yoga does for
 * the same queries. `createYoga` with its defaults and a small schema of the same shape, whose
 * resolvers make one upstream call each over a keep-alive pool (as the proxy does) and rename the
 * wire's fields. No cache, no shared calls, no limits, no deadline, no retries, no logs or metrics,
 * no error typing: it shows what Yoga and graphql-js cost on their own, next to the proxy's floor.
 * Env: PORT, DASHSCOPE_BASE_URL, DASHSCOPE_API_KEY.
 */
const origin = process.env.DASHSCOPE_BASE_URL ?? 'http://127.0.0.1:18080';
const apiKey = process.env.DASHSCOPE_API_KEY ?? '';
const pool = new Pool(origin, { connections: 32, pipelining: 1, keepAliveTimeout: 30_000 });

interface WireJob {
  job_id: string;
  job_name?: string;
  status: string;
  model: string;
  base_model?: string;
  create_time?: string;
  end_time?: string;
  training_type?: string;
  usage?: number;
  hyper_parameters?: { n_epochs?: number; learning_rate?: string };
}

async function get<T>(path: string): Promise<T> {
  const response = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' } });
  const body = (await response.body.json()) as { output: T };
  return body.output;
}

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
const toJob = (wire: WireJob) => ({
  __typename: 'FineTuneJob',
  id: wire.job_id,
  jobName: wire.job_name ?? null,
  status: wire.status,
  model: wire.model,
  baseModel: wire.base_model ?? null,
  createdAt: wire.create_time ?? null,
  endedAt: wire.end_time ?? null,
  durationSeconds: null,
  isTerminal: FINISHED.has(wire.status),
  trainingType: wire.training_type ?? null,
  usage: wire.usage ?? null,
  hyperParameters: {
    nEpochs: wire.hyper_parameters?.n_epochs ?? null,
    learningRate: wire.hyper_parameters?.learning_rate === undefined ? null : Number(wire.hyper_parameters.learning_rate),
  },
});

const typeDefs = /* GraphQL */ `
  type HyperParameters { nEpochs: Int learningRate: Float }
  type FineTuneJob {
    id: ID! jobName: String status: String! model: String! baseModel: String createdAt: String endedAt: String
    durationSeconds: Int isTerminal: Boolean! trainingType: String usage: Int hyperParameters: HyperParameters
  }
  type JobConnection { totalCount: Int! nodes: [FineTuneJob!]! }
  type Error { code: String! }
  union FineTuneResult = FineTuneJob | Error
  union FineTunesResult = JobConnection | Error
  input PageInput { number: Int size: Int }
  type Query { fineTune(id: ID!): FineTuneResult fineTunes(page: PageInput): FineTunesResult }
`;

const yoga = createYoga({
  logging: false,
  schema: createSchema({
    typeDefs,
    resolvers: {
      Query: {
        fineTune: async (_: unknown, { id }: { id: string }) => toJob(await get<WireJob>(`/api/v1/fine-tunes/${encodeURIComponent(id)}`)),
        fineTunes: async (_: unknown, { page }: { page?: { number?: number; size?: number } }) => {
          const output = await get<{ total: number; jobs: WireJob[] }>(
            `/api/v1/fine-tunes?page_no=${page?.number ?? 1}&page_size=${page?.size ?? 10}`,
          );
          return { __typename: 'JobConnection', totalCount: output.total, nodes: output.jobs.map(toJob) };
        },
      },
    },
  }),
});

const server = createServer(yoga);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void pool.close().then(() => process.exit(0));
});
