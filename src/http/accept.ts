/** The media types of Yoga's result processor for single (non-streamed) results, in its order. */
const SINGLE_RESULT_MEDIA_TYPES = ['application/graphql-response+json', 'application/json'] as const;

export type SingleResultMediaType = (typeof SINGLE_RESULT_MEDIA_TYPES)[number];

const MEMO_LIMIT = 256;
const memo = new Map<string | undefined, SingleResultMediaType | null>();

/**
 * The media type Yoga 5 answers a single query result with, for this `Accept` header, or null
 * when it would pick a streaming processor (SSE, multipart) and so only Yoga must answer.
 *
 * Yoga ignores quality values: it takes the first listed media range (with a UTF-8 or no
 * charset) that one of its single-result types matches, and of those two the last that matches
 * (so `*∕*` and `application/*` get `application/json`). A header with no usable range gets null.
 * `test/known-operation-route.test.ts` compares this with Yoga's answers header by header.
 */
export function singleResultMediaType(accept: string | undefined): SingleResultMediaType | null {
  let mediaType = memo.get(accept);
  if (mediaType === undefined) {
    mediaType = pick(accept);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(accept, mediaType);
  }
  return mediaType;
}

function pick(accept: string | undefined): SingleResultMediaType | null {
  const ranges = (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',');
  for (const range of ranges) {
    const [asked = '', ...params] = range.split(';');
    const charset = params.find((param) => param.includes('charset=')) ?? 'charset=utf-8';
    if (charset !== 'charset=utf-8') continue;
    let picked: SingleResultMediaType | null = null;
    for (const candidate of SINGLE_RESULT_MEDIA_TYPES) if (matches(asked, candidate)) picked = candidate;
    if (picked !== null) return picked;
  }
  return null;
}

function matches(asked: string, candidate: string): boolean {
  const [askedType, askedSubtype] = asked.split('/');
  const [type, subtype] = candidate.split('/');
  return (askedType === '*' || askedType === type) && (askedSubtype === '*' || askedSubtype === subtype);
}
