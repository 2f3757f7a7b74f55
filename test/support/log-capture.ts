import type { DestinationStream } from 'pino';

/** A pino destination that keeps every line, for asserting what the gateway logged. */
export interface LogCapture extends DestinationStream {
  /** Everything written, as raw text. */
  text(): string;
  /** Every line, parsed. */
  lines(): Record<string, unknown>[];
  /** The per-request access lines. */
  requestLines(): Record<string, unknown>[];
  clear(): void;
}

export function createLogCapture(): LogCapture {
  let chunks: string[] = [];
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    write(chunk: string) {
      chunks.push(chunk);
    },
    text: () => chunks.join(''),
    lines,
    requestLines: () => lines().filter((line) => line.msg === 'graphql request'),
    clear() {
      chunks = [];
    },
  };
}
