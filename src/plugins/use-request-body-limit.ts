import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { assertJsonDepth } from '../http/json-depth.js';

const CONTENT_LENGTH = /^\d+$/;

/**
 * The request body limit, replacing Yoga's `maxRequestBodySize`. Yoga pipes every body through a
 * TransformStream and rebuilds the Request to count bytes; the profile showed that stream pipeline
 * (and the AbortSignal and DOMException it makes per request) as the largest framework cost. With a
 * valid Content-Length no counting is needed: Node's HTTP parser delivers exactly that many bytes,
 * so the header alone decides. Only bodies without one (chunked) are counted while read.
 *
 * JSON nesting is checked before the parse (`assertJsonDepth`): by the Node front for the
 * requests it reads itself, and here for the chunked bodies read above. A JSON body of known length
 * served by whatwg-node's adapter (front off, or an encoded body) is parsed by Yoga's parser and its
 * variables' depth checked after the parse (`use-request-params-limits.ts`).
 */
export function useRequestBodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength !== null) {
        if (!CONTENT_LENGTH.test(contentLength)) throw invalidContentLength();
        if (Number(contentLength) > limit) throw tooLarge();
        return;
      }
      if (requestParser === undefined || request.body === null) return;
      const isJson = request.headers.get('content-type')?.includes('json') === true;
      const parse = requestParser;
      setRequestParser(async (original) => {
        const text = await readAtMost(original.body as ReadableStream<Uint8Array>, limit);
        if (isJson) assertJsonDepth(text);
        return parse(new fetchAPI.Request(original.url, { method: original.method, headers: original.headers, body: text }));
      });
    },
  };
}

async function readAtMost(body: ReadableStream<Uint8Array>, limit: number): Promise<string> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function tooLarge() {
  return createGraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' } });
}

function invalidContentLength() {
  return createGraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
}
