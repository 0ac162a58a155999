/**
 * Secrets never travel back into errors through server text (issue #11, finding 10c): a real
 * local HTTP server echoes the request headers in its error bodies, as some proxies and debug
 * servers do, and the errors lakeloop builds from them carry no token and no Basic credentials.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import { MlflowRestClient } from '../../src/tracking/mlflow/mlflow-rest-client.js';
import { resolveTrackingUri } from '../../src/tracking/tracking-uri.js';
import { HttpClient } from '../../src/util/http-client.js';
import {
  REDACTED,
  redactSecrets,
  secretVariants,
  secretsOfAuthorization,
} from '../../src/util/redact-secrets.js';
import { LakeFsDataRepository } from '../../src/versioning/lakefs/lakefs-data-repository.js';

const TOKEN = 'tok-3f9a1c77e2b04d18a6c5-redaction';
const USER = 'ml-bot';
const PASSWORD = 'pw-8d2e41b0c9f3-redaction';
const ACCESS_KEY = 'AKIAREDACTIONTEST';
const SECRET_KEY = 'sk-51c0a9e3d7b24f68-redaction';
const noSleep = (): Promise<void> => Promise.resolve();

/** Everything an error exposes: message, JSON, inspection (with causes) and the HttpError body. */
function exposed(error: unknown): string {
  return `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 8 })} ${(error as { body?: string }).body ?? ''}`;
}

function forms(...secrets: string[]): string[] {
  return secrets.flatMap((secret) => [secret, Buffer.from(secret).toString('base64')]);
}

let server: Server;
let url = '';

beforeAll(async () => {
  // Echoes the headers (and the decoded Basic pair) back: in a JSON error, in plain text, or in a
  // 200 answer that is not JSON.
  server = createServer((req, res) => {
    const authorization = req.headers.authorization ?? '';
    const basic = /^Basic (.+)$/.exec(authorization)?.[1];
    const echo = JSON.stringify({
      headers: req.headers,
      decoded: basic === undefined ? undefined : Buffer.from(basic, 'base64').toString('utf8'),
    });
    if (req.url?.includes('plain') === true) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`bad request; you sent ${authorization} (${echo})`);
    } else if (req.url?.includes('not-json') === true) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html>${authorization} ${echo}</html>`);
    } else {
      res.writeHead(req.url?.includes('unavailable') === true ? 503 : 401, {
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ error_code: 'UNAUTHENTICATED', message: `rejected ${echo}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
});

describe('secrets echoed by a server are redacted from errors', () => {
  it('MLflow bearer token: JSON error bodies, plain-text bodies and non-JSON answers', async () => {
    const client = new MlflowRestClient({ url, auth: { token: TOKEN }, sleep: noSleep });
    const empty = z.object({}).loose();
    for (const endpoint of [
      'experiments/get',
      'plain/experiments/get',
      'not-json/experiments/get',
      'unavailable/x',
    ]) {
      const error = await client.get(endpoint, {}, empty).catch((caught: unknown) => caught);
      expect(isLakeloopError(error), endpoint).toBe(true);
      const text = exposed(error);
      for (const form of [`Bearer ${TOKEN}`, ...forms(TOKEN)]) expect(text, endpoint).not.toContain(form);
      expect(text, endpoint).toContain(REDACTED);
    }
  });

  it('MLflow Basic credentials: the password, the user:pass pair and its base64', async () => {
    const client = new MlflowRestClient({
      url,
      auth: { username: USER, password: PASSWORD },
      sleep: noSleep,
    });
    const error = await client
      .post('runs/create', { experiment_id: '0' }, z.object({}).loose())
      .catch((caught: unknown) => caught);
    expect(isLakeloopError(error, 'UNAUTHORIZED')).toBe(true);
    const text = exposed(error);
    for (const form of forms(PASSWORD, `${USER}:${PASSWORD}`)) expect(text).not.toContain(form);
    expect(text).toContain('rejected'); // the server's own words stay
  });

  it('lakeFS secret key in the Basic header', async () => {
    const data = new LakeFsDataRepository({
      endpoint: url,
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      sleep: noSleep,
    });
    const error = await data.listRepositories().catch((caught: unknown) => caught);
    expect(isLakeloopError(error, 'UNAUTHORIZED')).toBe(true);
    const text = exposed(error);
    for (const form of forms(SECRET_KEY, `${ACCESS_KEY}:${SECRET_KEY}`)) expect(text).not.toContain(form);
  });

  it('extra configured secrets, and in every form they travel in', async () => {
    const extra = 'extra-secret/with+chars"and\\quotes';
    const client = new HttpClient({
      baseUrl: url,
      serviceName: 'Echo',
      headers: { 'x-api-key': extra },
      secrets: [extra],
      sleep: noSleep,
    });
    const error = await client.request({ method: 'GET', path: '/plain' }).catch((caught: unknown) => caught);
    const text = exposed(error);
    expect(text).not.toContain(extra);
    expect(text).not.toContain(JSON.stringify(extra).slice(1, -1));
    expect(redactSecrets(`a ${encodeURIComponent(extra)} b`, secretVariants(extra))).toBe(`a ${REDACTED} b`);
    const variants = secretsOfAuthorization(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    expect(redactSecrets(`p=${PASSWORD} pair=${USER}:${PASSWORD}`, variants)).toBe(
      `p=${REDACTED} pair=${REDACTED}`,
    );
  });
});

describe('credentials in URLs are refused', () => {
  it('an unsupported tracking URI is refused without repeating its password', () => {
    let message = '';
    try {
      resolveTrackingUri({ uri: `postgresql://${USER}:${PASSWORD}@db.test:5432/mlflow`, env: {} });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/Unsupported tracking URI "postgresql:\/\/\*\*\*@db.test:5432\/mlflow"/);
    expect(message).not.toContain(PASSWORD);
  });

  it('the HTTP client refuses a base URL with user:password, without repeating it', () => {
    let message = '';
    try {
      new HttpClient({ baseUrl: `http://${USER}:${PASSWORD}@127.0.0.1:1`, serviceName: 'Echo' });
    } catch (error) {
      message = String(error);
      expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
    }
    expect(message).toMatch(/contains credentials/);
    expect(message).not.toContain(PASSWORD);
  });
});
