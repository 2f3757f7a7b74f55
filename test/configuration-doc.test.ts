import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as configModule from '../src/config.js';
import { VARIABLES, loadConfig } from '../src/config.js';
import { printConfigurationDoc } from '../src/tools/configuration-doc.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` prints from the declarations in src/config.ts', () => {
    expect(read('docs/configuration.md')).toBe(printConfigurationDoc());
  });

  it('documents every environment variable src/config.ts names', () => {
    const doc = read('docs/configuration.md');
    // Upper-case words with an underscore, minus the module's own exported constants (LOG_LEVELS…).
    const exported = new Set(Object.keys(configModule));
    const named = new Set(read('src/config.ts').match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g));
    const variables = [...named].filter((name) => !exported.has(name));
    expect(variables.length).toBeGreaterThan(40);
    for (const name of variables) expect(doc, name).toContain(name);
    for (const name of Object.keys(VARIABLES)) expect(doc, name).toContain(`| \`${name}\` |`);
  });
});

describe('loadConfig reads the environment only through the declarations', () => {
  it('reads every declared variable and nothing else', () => {
    const seen = new Set<string>();
    const env = new Proxy<Record<string, string | undefined>>(
      { OTEL_TRACES_ENABLED: 'true' },
      {
        get: (target, name) => {
          if (typeof name === 'string') seen.add(name);
          return typeof name === 'string' ? target[name] : undefined;
        },
      },
    );
    loadConfig(env);
    expect([...seen].sort()).toEqual(Object.keys(VARIABLES).sort());
  });

  it('takes each declared default for an unset or blank variable', () => {
    const blank = Object.fromEntries(Object.keys(VARIABLES).map((name) => [name, '  ']));
    expect(loadConfig(blank)).toEqual(loadConfig({}));
  });
});
