import { createGraphQLError } from 'graphql-yoga';

/** Nesting of objects and arrays a request body may have; the schema's inputs nest 2 deep. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Refuses a JSON text nested deeper than `limit` BEFORE it is parsed: a 1 MB body of 400,000
 * nested arrays costs `JSON.parse` (and everything that walks the result) hundreds of ms of event
 * loop. One pass over the characters, no allocation, skipping string contents; it stops at the
 * first bracket past the limit. Malformed text is left for `JSON.parse` to refuse.
 */
export function assertJsonDepth(text: string, limit = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) throw tooDeep(limit);
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
}

function tooDeep(limit: number) {
  return createGraphQLError(`JSON may nest at most ${limit} levels deep.`, { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
}
