import type { Plugin } from 'graphql-yoga';

/**
 * Answers `endpoint` with what `check` reports, as JSON, 200 when ready and 503 otherwise.
 *
 * In place of Yoga's `useReadinessCheck`, which matches every request's URL against a
 * URLPattern (the polyfill): the profile showed that match as the costliest hook of a query.
 */
export function useReadiness<State extends { ready: boolean }>(endpoint: string, check: () => State): Plugin {
  return {
    onRequest({ url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) return;
      const state = check();
      endResponse(fetchAPI.Response.json(state, { status: state.ready ? 200 : 503 }));
    },
  };
}
