/**
 * A frontend-style use of the gateway with typed documents: list a page of jobs, then show one.
 *
 *   npm start                                  # in another terminal (demo data)
 *   npm run example                            # sends the query text
 *   npm run example -- --persisted             # sends only trusted-document ids
 *   GATEWAY_URL=http://host:4000/graphql npm run example
 */
import { GraphQLRequestError, createGatewayClient } from './client.js';
import { JobDetailsDocument, JobListDocument } from './generated/graphql.js';

const client = createGatewayClient({
  url: process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql',
  persisted: process.argv.includes('--persisted'),
});

process.on('uncaughtException', (error) => {
  // A refused request (e.g. query text sent to a trusted-documents-only gateway) or no gateway.
  console.error(error instanceof GraphQLRequestError ? error.message : String(error));
  process.exit(1);
});

const { fineTunes } = await client.request(JobListDocument, { page: { number: 1, size: 5 } });
// Every field answers a union: narrow on __typename. The compiler knows each member's fields.
if (fineTunes.__typename !== 'JobConnection') {
  console.error(`${fineTunes.__typename} ${fineTunes.code}: ${fineTunes.message} (request ${fineTunes.requestId ?? 'n/a'})`);
  process.exit(1);
}
console.log(`${fineTunes.totalCount} jobs, page ${fineTunes.pageNumber} of ${fineTunes.totalPages}`);
for (const job of fineTunes.nodes) {
  console.log(`  ${job.id.padEnd(24)} ${job.status.padEnd(10)} ${job.model.padEnd(20)} ${job.createdAt ?? ''}`);
}

const first = fineTunes.nodes[0];
if (first) {
  const { fineTune } = await client.request(JobDetailsDocument, { id: first.id });
  switch (fineTune.__typename) {
    case 'FineTuneJob':
      console.log(`\n${fineTune.id}: ${fineTune.status}, model ${fineTune.finetunedOutput ?? '(none yet)'}`);
      console.log(`  took ${fineTune.durationSeconds ?? '?'} s, ${fineTune.hyperParameters?.nEpochs ?? '?'} epochs`);
      break;
    case 'NotFoundError':
      console.log(`\n${first.id} is gone (request ${fineTune.requestId ?? 'n/a'})`);
      break;
    default:
      console.error(`\n${fineTune.__typename} ${fineTune.code}: ${fineTune.message}`);
      process.exitCode = 1;
  }
}
