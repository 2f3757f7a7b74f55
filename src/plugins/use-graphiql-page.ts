import type { Plugin } from 'graphql-yoga';
import { type Encoding, GRAPHIQL_ASSETS_PATH, type GraphiQLPageSource, type StaticFile } from '../graphiql.js';

/** Content-hashed names never change content: a browser keeps them as long as it likes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Serves GraphiQL in place of Yoga's `graphiql` option: the page (a browser's GET of the endpoint,
 * `Accept: text/html`) and its content-hashed script, styles, workers and icon (`GRAPHIQL_ASSETS_PATH`),
 * all built and compressed once (`createGraphiQLPage`), each in the best encoding the client
 * accepts (Brotli, else gzip, else none) with an `ETag`; `If-None-Match` gets a bodiless 304.
 *
 * The assets are cacheable forever. The page is small and revalidated on each visit
 * (`Cache-Control: no-cache`, set for every GET of the endpoint by `use-private-cache-control.ts`):
 * browsers drop it from their cache anyway whenever GraphiQL POSTs to the same URL (an unsafe
 * method invalidates the URL's stored response), so it could not be the big part.
 */
export function useGraphiQLPage(graphqlEndpoint: string, page: GraphiQLPageSource): Plugin {
  return {
    async onRequest({ request, url, fetchAPI, endResponse }) {
      if (request.method !== 'GET') return;
      const { pathname } = url;
      let file: StaticFile | undefined;
      let cacheControl: string | undefined;
      if (pathname.startsWith(GRAPHIQL_ASSETS_PATH)) {
        file = (await page.get()).assets.get(pathname);
        if (file === undefined) return;
        cacheControl = IMMUTABLE;
      } else if (
        (pathname === graphqlEndpoint || pathname === `${graphqlEndpoint}/`) &&
        request.headers.get('accept')?.includes('text/html')
      ) {
        file = (await page.get()).html;
      } else {
        return;
      }
      const headers: Record<string, string> = { etag: file.etag, vary: 'Accept-Encoding' };
      if (cacheControl) headers['cache-control'] = cacheControl;
      if (matches(request.headers.get('if-none-match'), file.etag)) {
        endResponse(new fetchAPI.Response(null, { status: 304, headers }));
        return;
      }
      const encoding = choose(request.headers.get('accept-encoding'));
      const body = await file.encoded(encoding);
      headers['content-type'] = file.contentType;
      headers['content-length'] = String(body.byteLength);
      if (encoding !== 'identity') headers['content-encoding'] = encoding;
      // A Node Buffer: BodyInit's typing wants an ArrayBuffer-backed view, which it is.
      endResponse(new fetchAPI.Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers }));
    },
  };
}

/** `If-None-Match: "a", W/"b"` or `*`: weak comparison, as RFC 9110 prescribes for it. */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** The best encoding the client accepts (a `q=0` refuses one). */
function choose(acceptEncoding: string | null): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const weight = (name: string): number => accepted.get(name) ?? accepted.get('*') ?? 0;
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return 'identity';
}
