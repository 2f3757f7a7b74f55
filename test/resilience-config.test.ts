import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('resilience and limits configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      timeoutMs: 10_000,
      connectTimeoutMs: 5_000,
      retry: { max: 2, baseDelayMs: 200, maxDelayMs: 2_000 },
      upstreamConcurrency: { max: 128, min: 4, initial: 16, queue: 64 },
      breaker: { threshold: 5, cooldownMs: 5_000 },
      limits: {
        maxBodyBytes: 1_000_000,
        maxAliases: 100,
        maxDepth: 10,
        maxTokens: 5_000,
        maxDirectives: 20,
        maxCost: 5_000,
        maxUpstreamFields: 50,
        maxEntityIds: 100,
      },
      corsOrigins: [],
      shutdownTimeoutMs: 10_000,
      shutdownDrainMs: 5_000,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      DASHSCOPE_CONNECT_TIMEOUT_MS: '1000',
      DASHSCOPE_RETRY_MAX: '0',
      DASHSCOPE_RETRY_BASE_DELAY_MS: '50',
      DASHSCOPE_RETRY_MAX_DELAY_MS: '500',
      DASHSCOPE_MAX_CONCURRENCY: '4',
      DASHSCOPE_MIN_CONCURRENCY: '1',
      DASHSCOPE_INITIAL_CONCURRENCY: '3',
      DASHSCOPE_MAX_QUEUE: '0',
      DASHSCOPE_BREAKER_THRESHOLD: '10',
      DASHSCOPE_BREAKER_COOLDOWN_MS: '30000',
      GRAPHQL_MAX_BODY_BYTES: '50000',
      GRAPHQL_MAX_ALIASES: '60',
      GRAPHQL_MAX_DEPTH: '8',
      GRAPHQL_MAX_TOKENS: '3000',
      GRAPHQL_MAX_DIRECTIVES: '5',
      GRAPHQL_MAX_COST: '2000',
      GRAPHQL_MAX_UPSTREAM_FIELDS: '20',
      GRAPHQL_MAX_ENTITY_IDS: '30',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      SHUTDOWN_TIMEOUT_MS: '2000',
      SHUTDOWN_DRAIN_MS: '0',
    });
    expect(config).toMatchObject({
      connectTimeoutMs: 1_000,
      retry: { max: 0, baseDelayMs: 50, maxDelayMs: 500 },
      upstreamConcurrency: { max: 4, min: 1, initial: 3, queue: 0 },
      breaker: { threshold: 10, cooldownMs: 30_000 },
      limits: {
        maxBodyBytes: 50_000,
        maxAliases: 60,
        maxDepth: 8,
        maxTokens: 3_000,
        maxDirectives: 5,
        maxCost: 2_000,
        maxUpstreamFields: 20,
        maxEntityIds: 30,
      },
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      shutdownTimeoutMs: 2_000,
      shutdownDrainMs: 0,
    });
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it('rejects bad values, all at once', () => {
    try {
      loadConfig({
        DASHSCOPE_RETRY_MAX: '-1',
        DASHSCOPE_MAX_CONCURRENCY: '0',
        CORS_ORIGINS: 'https://app.example.com/, app.example.com',
        GRAPHQL_MAX_ALIASES: 'lots',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(5);
      expect(problems.join('\n')).toContain('"https://app.example.com/"');
      expect(problems.join('\n')).toContain('"lots"');
    }
  });
});
