/** The benchmark's GraphQL queries and their REST equivalents: `run.ts` and `profile.ts` load the same ones. */

export const JOB_FIELDS =
  'id jobName status model baseModel createdAt endedAt durationSeconds isTerminal trainingType usage hyperParameters { nEpochs learningRate }';

export const jobQuery = (id: string): string => `{ fineTune(id: "${id}") { ... on FineTuneJob { ${JOB_FIELDS} } ... on Error { code } } }`;

export const listQuery = (number: number, size: number): string =>
  `{ fineTunes(page: { number: ${number}, size: ${size} }) { ... on JobConnection { totalCount nodes { ${JOB_FIELDS} } } ... on Error { code } } }`;

export const listPath = (number: number, size: number): string => `/api/v1/fine-tunes?page_no=${number}&page_size=${size}`;

/** Page number and size pairs: 60 different list pages, so concurrent requests seldom ask for the same one. */
export const LIST_PAGES: [number, number][] = Array.from({ length: 60 }, (_, i) => [1 + (i % 3), 10 + Math.floor(i / 3)]);

/** 20 aliases over the first 5 of `ids`. */
export const aliasQuery = (ids: readonly string[]): string =>
  `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: fineTune(id: "${ids[i % 5]}") { ... on FineTuneJob { ${JOB_FIELDS} } }`).join(' ')} }`;
