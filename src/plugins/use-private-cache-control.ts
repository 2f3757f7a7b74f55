import type { Plugin } from 'graphql-yoga';

/**
 * Every GraphQL answer is credentialed data: shared caches (CDNs, proxies) must never store it.
 * GET query results may be kept by the caller's own browser but must be revalidated, since a
 * running job changes; POST results are not stored at all.
 */
export function usePrivateCacheControl(graphqlEndpoint: string): Plugin {
  return {
    onResponse({ request, response }) {
      if (!isEndpoint(request.url, graphqlEndpoint)) return;
      response.headers.set('cache-control', cacheControlFor(request.method));
      response.headers.append('vary', VARY);
    },
  };
}

export function cacheControlFor(method: string): string {
  return method === 'GET' ? 'private, no-cache' : 'private, no-store';
}

/** Answers differ by caller (forwarding mode), so a private cache must not hand one caller's answer to another. */
export const VARY = 'Authorization';

/** `request.url` is absolute (`http://host/graphql?query=…`): compare its path without parsing a URL per response. */
function isEndpoint(url: string, path: string): boolean {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1 || !url.startsWith(path, start)) return false;
  const next = url.charAt(start + path.length);
  return next === '' || next === '?' || next === '#';
}
