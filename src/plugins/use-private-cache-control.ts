import type { Plugin } from 'graphql-yoga';

/**
 * Every GraphQL answer is credentialed data: shared caches (CDNs, proxies) must never store it.
 * GET query results may be kept by the caller's own browser but must be revalidated, since a
 * running job changes; POST results are not stored at all.
 */
export function usePrivateCacheControl(graphqlEndpoint: string): Plugin {
  return {
    onResponse({ request, response }) {
      if (new URL(request.url).pathname !== graphqlEndpoint) return;
      response.headers.set('cache-control', request.method === 'GET' ? 'private, no-cache' : 'private, no-store');
      response.headers.append('vary', 'Authorization');
    },
  };
}
