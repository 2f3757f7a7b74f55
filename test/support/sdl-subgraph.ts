import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';

type Resolvers = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown; resolvers?: unknown }>['resolvers']>;

export interface RunningSubgraph {
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  sdl: string;
  close(): Promise<void>;
}

/** Another team's subgraph, written SDL-first with @apollo/subgraph and served by Yoga on 127.0.0.1. */
export async function startSdlSubgraph(sdl: string, resolvers: Resolvers): Promise<RunningSubgraph> {
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers });
  const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', landingPage: false, graphiql: false, logging: false });
  const server: Server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    sdl,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
