import { builder } from './builder.js';

builder.subscriptionType({
  description: 'Live updates over Server-Sent Events (`Accept: text/event-stream` on `/graphql`, GET or POST).',
});
