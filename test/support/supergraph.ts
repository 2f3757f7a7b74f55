import { type CompositionSuccess, composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { composeServices as composeWithGuild, compositionHasErrors } from '@theguild/federation-composition';
import { parse } from 'graphql';
import type { GraphQLResponse } from './stack.js';

export interface SubgraphDefinition {
  name: string;
  /** Where the router sends this subgraph's fetches. */
  url: string;
  /** The subgraph SDL (what `_service { sdl }` answers). */
  sdl: string;
}

export interface ApolloComposition {
  supergraphSdl: string;
  hints: CompositionSuccess['hints'];
}

/** Composes with Apollo's composition (what rover and GraphOS run); throws with every error. */
export function composeWithApollo(subgraphs: readonly SubgraphDefinition[]): ApolloComposition {
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (result.errors)
    throw new CompositionError(
      '@apollo/composition',
      result.errors.map((error) => error.message),
    );
  return { supergraphSdl: result.supergraphSdl, hints: result.hints };
}

/** Composes with The Guild's composition (what Hive and Hive Gateway run); throws with every error. */
export function composeWithTheGuild(subgraphs: readonly SubgraphDefinition[]): string {
  const result = composeWithGuild(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (compositionHasErrors(result))
    throw new CompositionError(
      '@theguild/federation-composition',
      result.errors.map((error) => error.message),
    );
  return result.supergraphSdl;
}

export class CompositionError extends Error {
  override name = 'CompositionError';
  constructor(
    readonly composer: string,
    readonly messages: string[],
  ) {
    super(`${composer} failed:\n  - ${messages.join('\n  - ')}`);
  }
}

export interface SubgraphRequest {
  subgraph: string;
  query: string;
  variables: Record<string, unknown>;
}

export interface RunningGateway {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Every fetch the gateway sent to a subgraph, in order. */
  readonly subgraphRequests: readonly SubgraphRequest[];
  query<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * A real federation gateway (@apollo/gateway on @apollo/server) over a static supergraph, on
 * 127.0.0.1. Nothing reports anywhere: no usage or schema reporting, no landing page (its HTML
 * would load from a CDN), and the gateway's own telemetry must be disabled by the environment.
 */
export async function startApolloGateway(supergraphSdl: string): Promise<RunningGateway> {
  const telemetry = process.env.APOLLO_TELEMETRY_DISABLED;
  if (telemetry !== 'true' && telemetry !== '1') {
    // @apollo/gateway's constructor starts an OTLP exporter to usage-reporting.api.apollographql.com
    // (and cloud metadata probes) unless this is set; vitest.config.ts and .ci/run set it.
    throw new Error('Refusing to start @apollo/gateway without APOLLO_TELEMETRY_DISABLED=true.');
  }
  const subgraphRequests: SubgraphRequest[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: silentLogger,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        // Node's own fetch: no proxy settings from the environment, no HTTP cache on disk.
        fetcher: fetch as unknown as RemoteGraphQLDataSource['fetcher'],
        willSendRequest({ request }) {
          subgraphRequests.push({ subgraph: name, query: request.query ?? '', variables: { ...request.variables } });
        },
      }),
  });
  const server = new ApolloServer({
    gateway,
    logger: silentLogger,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
  });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return {
    url,
    subgraphRequests,
    async query(query, variables) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as GraphQLResponse<any>;
    },
    close: () => server.stop(),
  };
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface RunningHiveGateway {
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  /** Method and Accept header of every request the gateway sent to a subgraph, in order. */
  readonly subgraphRequests: readonly { url: string; method: string; accept: string | null }[];
  close(): Promise<void>;
}

/**
 * Hive Gateway (The Guild's federation router, @graphql-hive/gateway-runtime) over a static
 * supergraph, with its defaults: its own subgraph transport (subscriptions over HTTP as SSE), no
 * reporting (none is configured: Hive's usage reporting needs a token), no polling (the supergraph
 * is a string), no landing page; logging off. On 127.0.0.1.
 */
export async function startHiveGateway(supergraphSdl: string): Promise<RunningHiveGateway> {
  const subgraphRequests: { url: string; method: string; accept: string | null }[] = [];
  const gateway = createGatewayRuntime({
    supergraph: supergraphSdl,
    logging: false,
    landingPage: false,
    plugins: () => [
      {
        onFetch({ url, options }) {
          const headers = new Headers(options.headers as HeadersInit | undefined);
          subgraphRequests.push({ url, method: options.method ?? 'GET', accept: headers.get('accept') });
        },
      },
    ],
  });
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    subgraphRequests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.dispose();
    },
  };
}
