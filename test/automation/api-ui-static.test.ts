/**
 * The web UI's static files through `app.request`, from a small fixture folder shaped like Vite's
 * output (index.html, hashed static/): content types and cache headers, the index.html fallback of
 * client routes, missing assets as 404s, no path outside the folder, the API unaffected (and still
 * guarded by its token), and the JSON pointer at `/` when no UI is built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { manualClock } from '../../src/clock.js';
import { Instance } from '../../src/core/instance/instance.js';
import { createApiApp } from '../../src/server/api-app.js';
import { defaultUiDir, uiDirFor } from '../../src/server/ui-static.js';
import { automationDefs } from './fixtures/automation-defs.js';

const TOKEN = 'test-token-0123456789abcdef';
const INDEX = '<!doctype html><html><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("lakeloop ui");';
const STYLE = 'body { margin: 0; }';
const SECRET = 'not part of the UI';

describe('REST API: the web UI at /', () => {
  let dir: string;
  let uiDir: string;
  let instance: Instance;
  let defs: ReturnType<typeof automationDefs>['defs'];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-ui-'));
    uiDir = join(dir, 'ui');
    mkdirSync(join(uiDir, 'static'), { recursive: true });
    writeFileSync(join(uiDir, 'index.html'), INDEX);
    writeFileSync(join(uiDir, 'static', 'index-AbC123.js'), SCRIPT);
    writeFileSync(join(uiDir, 'static', 'index-DeF456.css'), STYLE);
    writeFileSync(join(uiDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, 'secret.txt'), SECRET);
    instance = await Instance.ephemeral({ clock: manualClock(Date.parse('2026-03-01T00:00:00Z')) });
    defs = automationDefs().defs;
  });

  afterEach(async () => {
    await instance.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const appWith = (options: { uiDir: string; token?: string }): Hono =>
    createApiApp({ defs, instance, ...options });

  it('serves index.html at / as HTML that is always revalidated', async () => {
    const response = await appWith({ uiDir }).request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toBe(INDEX);
  });

  it('serves hashed assets with their content type and immutable caching', async () => {
    const app = appWith({ uiDir });
    const script = await app.request('/static/index-AbC123.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await script.text()).toBe(SCRIPT);

    const style = await app.request('/static/index-DeF456.css');
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await style.text()).toBe(STYLE);

    // Not hashed: revalidated like index.html.
    const icon = await app.request('/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers index.html for client routes, so that a copied link opens its page', async () => {
    const app = appWith({ uiDir });
    for (const path of [
      '/runs/x',
      '/assets',
      '/assets/train_model',
      '/models/flight-delays/versions/3',
      '/no-such-page',
    ]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(await response.text(), path).toBe(INDEX);
    }
  });

  it('answers a missing hashed asset with a JSON 404, never with index.html', async () => {
    const response = await appWith({ uiDir }).request('/static/index-Gone99.js');
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('serves nothing outside the UI folder', async () => {
    const app = appWith({ uiDir });
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/static/..%2f..%2fsecret.txt',
    ]) {
      const response = await app.request(path);
      const text = await response.text();
      expect(text, path).not.toContain(SECRET);
    }
  });

  it('leaves /api/* to the API: JSON answers and JSON 404s', async () => {
    const app = appWith({ uiDir });
    const health = await app.request('/api/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', daemon: { healthy: false } });
    const runs = await app.request('/api/runs?limit=20');
    expect(runs.status).toBe(200);
    expect(await runs.json()).toEqual({ runs: [], hasMore: false, nextOffset: '' });
    for (const path of ['/api/no-such-route', '/api/runs/x/y/z']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toContain('application/json');
    }
  });

  it('serves the UI without a token while the API still requires one', async () => {
    const app = appWith({ uiDir, token: TOKEN });
    const page = await app.request('/runs/x');
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(INDEX);
    expect((await app.request('/api/runs')).status).toBe(401);
    expect((await app.request('/api/runs', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      200,
    );
  });

  it('answers / with the JSON pointer to the API when no UI is built', async () => {
    const app = appWith({ uiDir: join(dir, 'not-built') });
    const root = await app.request('/');
    expect(root.status).toBe(200);
    expect(await root.json()).toEqual({
      name: 'lakeloop',
      api: '/api',
      openapi: '/api/openapi.json',
      health: '/api/health',
    });
    const route = await app.request('/runs/x');
    expect(route.status).toBe(404);
    expect(((await route.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('defaults to the checkout dist/ui that npm run build writes', () => {
    const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    expect(defaultUiDir()).toBe(join(repoRoot, 'dist', 'ui'));
  });

  it('finds dist/ui from the compiled package, the source and the CLI cache of a checkout', () => {
    const checkout = join(dir, 'checkout');
    const ui = join(checkout, 'dist', 'ui');
    expect(uiDirFor(join(checkout, 'dist', 'server'))).toBe(ui);
    expect(uiDirFor(join(checkout, 'src', 'server'))).toBe(ui);
    expect(
      uiDirFor(join(checkout, 'node_modules', '.cache', 'lakeloop-cli', '3f2a9c', 'src', 'server')),
    ).toBe(ui);
  });
});
