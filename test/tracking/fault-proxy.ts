/**
 * A fault-injecting HTTP proxy for tests: forwards every request to a real server (MLflow here)
 * and, for the requests a rule picks, breaks the answer AFTER the server has handled the request:
 * the connection is dropped without a response, or a 500 is answered instead of the real one.
 * This is the failure that makes a retried create dangerous: it took effect, the client cannot know.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy(mlflowUri, (req, n) => (req.path.endsWith('/runs/create') && n === 1 ? 'drop-response' : 'pass'));
 * // ... use proxy.url as the server URL; proxy.requests lists what went through
 * await proxy.close();
 * ```
 */
import { request as httpRequest, createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What to do with one request: pass it; forward it, then drop the connection without answering;
 * forward it, then answer 500; or answer 500 without forwarding (the server never saw it).
 */
export type Fault = 'pass' | 'drop-response' | 'error-after-forward' | 'error-before-forward';

/** One request that went through the proxy. */
export interface ProxiedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  fault: Fault;
}

/** A running proxy. */
export interface FaultProxy {
  url: string;
  requests: ProxiedRequest[];
  /** How many requests went to paths ending with `suffix` (with `method`, when given). */
  count(suffix: string, method?: string): number;
  close(): Promise<void>;
}

/**
 * Starts a proxy in front of `target`. `rule` gets each request and the 1-based number of
 * requests so far to the same method and path.
 */
export async function startFaultProxy(
  target: string,
  rule: (request: { method: string; path: string }, nth: number) => Fault,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const key = `${method} ${path}`;
      const nth = (seen.get(key) ?? 0) + 1;
      seen.set(key, nth);
      const fault = rule({ method, path }, nth);
      requests.push({ method, path, fault });
      const body = await readAll(req);
      if (fault === 'error-before-forward') {
        res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
        res.end(
          JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'injected failure before forwarding' }),
        );
        return;
      }
      const answer = await forward(upstream, req, body);
      if (fault === 'drop-response') {
        req.socket.destroy();
        return;
      }
      if (fault === 'error-after-forward') {
        res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
        res.end(
          JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'injected failure after forwarding' }),
        );
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    })().catch((error: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (suffix, method) =>
      requests.filter((r) => r.path.endsWith(suffix) && (method === undefined || r.method === method)).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      }),
  };
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function forward(
  upstream: URL,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: upstream.host };
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (response) => {
        readAll(response)
          .then((answer) => {
            const passed: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined && name !== 'transfer-encoding' && name !== 'connection')
                passed[name] = value;
            }
            passed['content-length'] = String(answer.length);
            resolve({ status: response.statusCode ?? 502, headers: passed, body: answer });
          })
          .catch(reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
