import type { DestinationStream } from 'pino';

export interface LogCapture {
  /** Give this to `createLogger` (or `startStack({ logs })`). */
  stream: DestinationStream;
  /** Every line written so far, raw. */
  lines(): string[];
  /** Every line, parsed. */
  entries(): Record<string, unknown>[];
}

/** Collects the gateway's pino output in memory, to assert on what it logged (and did not). */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  return {
    stream: {
      write(chunk: string) {
        lines.push(...chunk.split('\n').filter((line) => line !== ''));
      },
    },
    lines: () => [...lines],
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
