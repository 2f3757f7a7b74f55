import { createServer } from 'node:http';
import { Pool } from 'undici';

/**
 * The floor for the benchmark: a bare undici pass-through proxy (no GraphQL) that holds the key,
 * forwards the REST path to the upstream over a keep-alive pool, and streams the reply back.
 * Env: PORT, DASHSCOPE_BASE_URL, DASHSCOPE_API_KEY.
 */
const origin = process.env.DASHSCOPE_BASE_URL ?? 'http://127.0.0.1:18080';
const apiKey = process.env.DASHSCOPE_API_KEY ?? '';
const pool = new Pool(origin, { connections: 32, pipelining: 1, keepAliveTimeout: 30_000 });

const server = createServer(async (req, res) => {
  try {
    const upstream = await pool.request({
      method: 'GET',
      path: req.url ?? '/',
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
    });
    res.writeHead(upstream.statusCode, { 'content-type': 'application/json' });
    for await (const chunk of upstream.body) res.write(chunk);
    res.end();
  } catch {
    res.writeHead(502).end();
  }
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void pool.close().then(() => process.exit(0));
});
