import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_UPSTREAM_ORIGIN, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('runs on the simulator with no key and no base URL, with documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      useSimulator: true,
      upstreamOrigin: DEFAULT_UPSTREAM_ORIGIN,
      utcOffset: '+08:00',
      timeoutMs: 10_000,
      forwardAuth: false,
      typePrefix: '',
    });
  });

  it('uses a real upstream when a key is given, and only the origin of the base URL', () => {
    const config = loadConfig({
      DASHSCOPE_API_KEY: 'sk-1',
      DASHSCOPE_BASE_URL: 'http://127.0.0.1:18080/api/v1',
      DASHSCOPE_WORKSPACE: 'ws',
    });
    expect(config).toMatchObject({ useSimulator: false, upstreamOrigin: 'http://127.0.0.1:18080', apiKey: 'sk-1', workspace: 'ws' });
  });

  it('reads GRAPHQL_TYPE_PREFIX for the supergraph', () => {
    expect(loadConfig({ GRAPHQL_TYPE_PREFIX: 'FineTunes' }).typePrefix).toBe('FineTunes');
  });

  it('never keeps the server key in forwarding mode', () => {
    expect(loadConfig({ DASHSCOPE_API_KEY: 'sk-1', DASHSCOPE_FORWARD_AUTH: 'true' }).apiKey).toBeUndefined();
  });

  it('reports every problem at once, echoing the bad values', () => {
    const attempt = () =>
      loadConfig({
        PORT: 'eighty',
        DASHSCOPE_TIMEOUT_MS: '-1',
        DASHSCOPE_UTC_OFFSET: '8',
        DASHSCOPE_BASE_URL: 'ftp://x',
        DASHSCOPE_FORWARD_AUTH: 'maybe',
        GRAPHQL_TYPE_PREFIX: '_ft',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(6);
      expect((error as ConfigError).message).toContain('"eighty"');
    }
  });
});
