import { readFileSync } from 'node:fs';
import { type GraphQLObjectType, isInputObjectType, isInterfaceType, isObjectType, isUnionType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { FEDERATION_ROOT_FIELDS, FEDERATION_TYPES } from '../src/schema/client-schema.js';
import { createClientSchema, schema } from '../src/schema/index.js';
import { printClientSchema, printSubgraphSchemaFile } from '../src/schema/print.js';

const committed = (file: string) => readFileSync(new URL(`../schema/${file}`, import.meta.url), 'utf8');

describe('checked-in schema artifacts', () => {
  it('schema/schema.graphql matches the Pothos schema (run `npm run schema:print` after changing the code)', () => {
    expect(printClientSchema()).toBe(committed('schema.graphql'));
  });

  it('schema/subgraph.graphql matches the subgraph SDL (run `npm run schema:print` after changing the code)', () => {
    expect(printSubgraphSchemaFile()).toBe(committed('subgraph.graphql'));
  });

  it('the served schema is the client schema plus exactly the federation internals', () => {
    const client = createClientSchema();
    const served = Object.keys(schema.getTypeMap()).filter((name) => !client.getType(name));
    expect(served.sort()).toEqual([...FEDERATION_TYPES].sort());
    const rootFields = Object.keys(schema.getQueryType()!.getFields());
    expect(rootFields.filter((name) => !(name in client.getQueryType()!.getFields())).sort()).toEqual([...FEDERATION_ROOT_FIELDS].sort());
    expect(committed('schema.graphql')).not.toMatch(/_service|_entities|_Any|_Entity|@key|@link/);
  });
});

/** The public contract's names and types: these may only ever be extended. */
const CONTRACT: Record<string, Record<string, string>> = {
  Query: { fineTunes: 'FineTunesResult!', fineTune: 'FineTuneResult!' },
  FineTuneJob: {
    id: 'ID!',
    jobName: 'String',
    status: 'FineTuneStatus!',
    rawStatus: 'String!',
    finetunedOutput: 'String',
    model: 'String!',
    baseModel: 'String',
    trainingFileIds: '[String!]!',
    validationFileIds: '[String!]!',
    hyperParameters: 'HyperParameters',
    trainingType: 'String',
    createTime: 'String',
    endTime: 'String',
    createdAt: 'DateTime',
    endedAt: 'DateTime',
    durationSeconds: 'Int',
    isTerminal: 'Boolean!',
    workspaceId: 'String',
    userIdentity: 'String',
    modifier: 'String',
    creator: 'String',
    group: 'String',
    usage: 'Int',
    outputCnt: 'Int',
    maxOutputCnt: 'Int',
  },
  HyperParameters: {
    nEpochs: 'Int',
    batchSize: 'Int',
    maxLength: 'Int',
    learningRate: 'Float',
    lrSchedulerType: 'String',
    split: 'Float',
    raw: 'JSON!',
  },
  JobConnection: {
    nodes: '[FineTuneJob!]!',
    edges: '[JobEdge!]!',
    pageInfo: 'PageInfo!',
    totalCount: 'Int!',
    pageNumber: 'Int!',
    pageSize: 'Int!',
    totalPages: 'Int!',
  },
  JobEdge: { cursor: 'String!', node: 'FineTuneJob!' },
  PageInfo: { hasNextPage: 'Boolean!', hasPreviousPage: 'Boolean!', startCursor: 'String', endCursor: 'String' },
  Error: { message: 'String!', code: 'String!', requestId: 'String' },
  NotFoundError: { message: 'String!', code: 'String!', requestId: 'String' },
  InvalidParameterError: { message: 'String!', code: 'String!', requestId: 'String' },
  AuthenticationError: { message: 'String!', code: 'String!', requestId: 'String' },
  ThrottlingError: { message: 'String!', code: 'String!', requestId: 'String', retryAfter: 'Int' },
  UpstreamError: { message: 'String!', code: 'String!', requestId: 'String', httpStatus: 'Int' },
  // Additions (contract.md): logs, checkpoints, the log tail.
  FineTuneLogConnection: { edges: '[FineTuneLogEdge!]!', pageInfo: 'PageInfo!', totalCount: 'Int' },
  FineTuneLogEdge: { cursor: 'String!', node: 'FineTuneLogLine!' },
  FineTuneLogLine: { offset: 'Int!', text: 'String!' },
  FineTuneCheckpoint: {
    id: 'ID!',
    step: 'Int',
    status: 'String!',
    checkpoint: 'String',
    modelName: 'String',
    fullName: 'String',
    createdAt: 'DateTime',
    expiresAt: 'DateTime',
  },
};

describe('the public contract', () => {
  for (const [typeName, fields] of Object.entries(CONTRACT)) {
    it(`${typeName} keeps its fields and types`, () => {
      const type = schema.getType(typeName);
      expect(isObjectType(type) || isInterfaceType(type)).toBe(true);
      const actual = (type as GraphQLObjectType).getFields();
      for (const [field, fieldType] of Object.entries(fields)) expect(String(actual[field]?.type)).toBe(fieldType);
    });
  }

  it('keeps the arguments, unions, enum and Error interface', () => {
    const query = schema.getQueryType()!.getFields();
    expect(query.fineTunes!.args.map((arg) => `${arg.name}: ${String(arg.type)}`)).toEqual(['model: String', 'page: PageInput']);
    expect(query.fineTune!.args.map((arg) => `${arg.name}: ${String(arg.type)}`)).toEqual(['id: ID!']);
    const job = (schema.getType('FineTuneJob') as GraphQLObjectType).getFields();
    expect(String(job.logs!.type)).toBe('FineTuneLogConnection');
    expect(job.logs!.args.map((arg) => `${arg.name}: ${String(arg.type)} = ${JSON.stringify(arg.defaultValue)}`)).toEqual([
      'first: Int = 100',
      'after: String = undefined',
    ]);
    expect(String(job.checkpoints!.type)).toBe('[FineTuneCheckpoint!]');
    const logTail = schema.getSubscriptionType()!.getFields().fineTuneLogs!;
    expect(String(logTail.type)).toBe('FineTuneLogLine!');
    expect(logTail.args.map((arg) => `${arg.name}: ${String(arg.type)}`)).toEqual(['id: ID!', 'after: String']);
    const members = (name: string) => {
      const union = schema.getType(name);
      if (!isUnionType(union)) throw new Error(`${name} is not a union`);
      return union.getTypes().map(String).sort();
    };
    expect(members('FineTuneResult')).toEqual(
      ['FineTuneJob', 'NotFoundError', 'InvalidParameterError', 'AuthenticationError', 'ThrottlingError', 'UpstreamError'].sort(),
    );
    expect(members('FineTunesResult')).toEqual(
      ['JobConnection', 'InvalidParameterError', 'AuthenticationError', 'ThrottlingError', 'UpstreamError'].sort(),
    );
    // Addition (contract.md): exportFineTuneCheckpoint(input: ExportCheckpointInput!): ExportCheckpointResult!
    const exportField = schema.getMutationType()!.getFields().exportFineTuneCheckpoint!;
    expect(String(exportField.type)).toBe('ExportCheckpointResult!');
    expect(exportField.args.map((arg) => `${arg.name}: ${String(arg.type)}`)).toEqual(['input: ExportCheckpointInput!']);
    const exportInput = schema.getType('ExportCheckpointInput');
    if (!isInputObjectType(exportInput)) throw new Error('ExportCheckpointInput is not an input type');
    expect(Object.values(exportInput.getFields()).map((field) => `${field.name}: ${String(field.type)}`)).toEqual([
      'jobId: ID!',
      'checkpoint: String!',
      'modelName: String!',
    ]);
    expect(members('ExportCheckpointResult')).toEqual(
      [
        'FineTuneCheckpoint',
        'NotFoundError',
        'UnsupportedOperationError',
        'InvalidParameterError',
        'AuthenticationError',
        'ThrottlingError',
        'UpstreamError',
      ].sort(),
    );
    const status = schema.getType('FineTuneStatus');
    expect(status && 'getValues' in status ? status.getValues().map((v) => v.name) : []).toEqual([
      'PENDING',
      'QUEUING',
      'RUNNING',
      'CANCELING',
      'SUCCEEDED',
      'FAILED',
      'CANCELED',
      'SUSPENDED',
      'UNKNOWN',
    ]);
    for (const error of ['NotFoundError', 'InvalidParameterError', 'AuthenticationError', 'ThrottlingError', 'UpstreamError']) {
      expect((schema.getType(error) as GraphQLObjectType).getInterfaces().map(String)).toContain('Error');
    }
    const page = schema.getType('PageInput');
    expect(
      page && 'getFields' in page
        ? Object.values(page.getFields()).map((f) => `${f.name}=${JSON.stringify((f as { defaultValue?: unknown }).defaultValue)}`)
        : [],
    ).toEqual(['number=1', 'size=10']);
  });
});

describe('codegen output', () => {
  it('test/generated/ is what `npm run codegen` produces from the checked-in schema', async () => {
    const { generate } = await import('@graphql-codegen/cli');
    const { default: config } = await import('../codegen.js');
    const files = await generate({ ...config, silent: true }, false);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file.content, file.filename).toBe(readFileSync(file.filename, 'utf8'));
  }, 60_000);
});
