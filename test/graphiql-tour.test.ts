import { Kind, type OperationDefinitionNode, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_JOB_ID, GRAPHIQL_DEFAULT_QUERY } from '../src/graphiql.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * GraphiQL's tour runs as written against the simulator: every query and mutation in it, by name,
 * with its default variables (the browser test clicks through RecentJobs and WatchJob).
 */
describe("GraphiQL's tour", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  const operations = parse(GRAPHIQL_DEFAULT_QUERY).definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const run = (operationName: string, variables?: Record<string, unknown>) =>
    stack.raw({ query: GRAPHIQL_DEFAULT_QUERY, operationName, variables });

  it('has the queries, the subscriptions and the create and cancel mutations', () => {
    expect(operations.map((operation) => `${operation.operation} ${operation.name?.value}`)).toEqual([
      'query RecentJobs',
      'query OneJob',
      'query MissingJob',
      'subscription WatchJob',
      // JobPage (@defer) is validated, and TailLogs run, in test/log-tail-subscription.test.ts.
      'query JobPage',
      'subscription TailLogs',
      'mutation CreateJob',
      'mutation CancelJob',
      'query InvalidPage',
    ]);
  });

  it('runs every query as written', async () => {
    for (const name of ['RecentJobs', 'OneJob', 'MissingJob', 'InvalidPage']) {
      const { status, body } = await run(name);
      expect(status, name).toBe(200);
      expect(body.errors, name).toBeUndefined();
    }
  });

  it('CreateJob creates one job however often it runs (its idempotency key); CancelJob cancels it', async () => {
    const since = stack.sim.calls.length;
    const first = await run('CreateJob');
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.createFineTune).toMatchObject({ __typename: 'FineTuneJob', status: 'PENDING', model: 'qwen3-14b' });
    const again = await run('CreateJob');
    expect(again.body.data.createFineTune.id).toBe(first.body.data.createFineTune.id);
    expect(stack.sim.count('createJob', since)).toBe(1);

    const canceled = await run('CancelJob', { id: first.body.data.createFineTune.id });
    expect(canceled.body.data.cancelFineTune).toMatchObject({ __typename: 'FineTuneJob', status: 'CANCELING' });
    // Its default id is the finished example job: the upstream's refusal, as data.
    const refused = await run('CancelJob');
    expect(refused.body.data.cancelFineTune).toMatchObject({ __typename: 'UnsupportedOperationError', code: 'UnsupportedOperation' });
    expect(stack.sim.calls.at(-1)).toMatchObject({ endpoint: 'cancelJob', jobId: EXAMPLE_JOB_ID });
  });
});
