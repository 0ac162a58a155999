/**
 * The API's route table and access through `app.request`: every registered route is declared (so
 * the index and the OpenAPI document are complete), the OpenAPI document comes from the zod
 * schemas, scoped tokens allow what their scopes say (403 otherwise) and are read from the token
 * file at each change (revocation is immediate), the token file keeps digests only and survives a
 * SIGKILL mid-write, and `lakeloop tokens` works as a user runs it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { Instance } from '../../src/core/instance/instance.js';
import { createApiApp } from '../../src/server/api-app.js';
import { ApiTokenFile, parseScopes } from '../../src/server/api-tokens.js';
import { lakeloop, repoRoot } from '../core/cli-test-helpers.js';
import { automationDefs } from './fixtures/automation-defs.js';

describe('API route table and access', () => {
  let home: string;
  let instance: Instance;
  let tokens: ApiTokenFile;
  let app: Hono;

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-access-'));
    instance = await Instance.ephemeral({ storage: 'sqlite' });
    tokens = new ApiTokenFile(join(home, 'api-tokens.json'));
    app = createApiApp({ defs: automationDefs().defs, instance, tokens });
  });

  afterEach(async () => {
    await instance.close();
    rmSync(home, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await app.request(path, {
      method,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('declares every route registered on the app: the index lists each once, with its scope', async () => {
    const index = await call('GET', '/api');
    const routes = index.body['routes'] as { method: string; path: string; scope: string }[];
    const declared = new Set(routes.map((r) => `${r.method} ${r.path}`));
    expect(declared.size).toBe(routes.length);
    const registered = app.routes
      .filter((r) => r.method !== 'ALL' && r.path.startsWith('/api'))
      .map((r) => `${r.method} ${r.path}`);
    expect(new Set(registered)).toEqual(declared);
    expect(routes).toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/api/runs', scope: 'trigger' }),
    );
    expect(routes).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/api/health', scope: 'public' }),
    );
  });

  it('generates the OpenAPI document from the same schemas that validate the requests', async () => {
    const { status, body } = await call('GET', '/api/openapi.json');
    expect(status).toBe(200);
    expect(body['openapi']).toBe('3.1.0');
    const paths = body['paths'] as Record<string, Record<string, Record<string, unknown>>>;
    const runsGet = paths['/api/runs']?.['get'];
    const names = (runsGet?.['parameters'] as { name: string; in: string }[]).map((p) => `${p.in}:${p.name}`);
    expect(names).toEqual(
      expect.arrayContaining(['query:status', 'query:job', 'query:limit', 'query:before']),
    );
    expect(runsGet?.['x-lakeloop-scope']).toBe('read');
    const launch = paths['/api/runs']?.['post']?.['requestBody'] as {
      content: Record<string, { schema: { properties: Record<string, unknown> } }>;
    };
    expect(Object.keys(launch.content['application/json']?.schema.properties ?? {})).toEqual(
      expect.arrayContaining(['job', 'select', 'partition', 'tags', 'priority', 'config']),
    );
    const detail = paths['/api/runs/{id}']?.['get']?.['parameters'] as { name: string; in: string }[];
    expect(detail).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
    expect(paths['/api/health']?.['get']?.['security']).toEqual([]);
  });

  it('allows what a token’s scopes allow, names the missing scope otherwise, and records who launched', async () => {
    // Without tokens (loopback default) every route is open.
    expect((await call('POST', '/api/runs', undefined, { job: 'process' })).status).toBe(201);

    const reader = (await tokens.create('reader', ['read'])).token;
    const launcher = (await tokens.create('ci', ['read', 'trigger'])).token;
    const admin = (await tokens.create('ops', ['admin'])).token;
    expect((await call('GET', '/api/runs')).status).toBe(401);
    expect((await call('GET', '/api/health')).status).toBe(200);
    expect((await call('GET', '/api/runs', reader)).status).toBe(200);

    const refused = await call('POST', '/api/runs', reader, { job: 'process' });
    expect(refused.status).toBe(403);
    expect(refused.body['error']).toMatchObject({ code: 'FORBIDDEN' });
    expect((refused.body['error'] as { message: string }).message).toMatch(
      /needs a token with the "trigger" scope; token "reader" has read/,
    );

    const launched = await call('POST', '/api/runs', launcher, { job: 'process' });
    expect(launched.status).toBe(201);
    expect(
      (launched.body['run'] as { tags: Record<string, string> }).tags['lakeloop/launched_by_token'],
    ).toBe('ci');
    expect((await call('POST', '/api/sensors/new_data/stop', admin)).status).not.toBe(403);
  });

  it('refuses a revoked token at once, and a wrong one', async () => {
    const { token } = await tokens.create('temp', ['read']);
    expect((await call('GET', '/api/runs', token)).status).toBe(200);
    await tokens.create('other', ['read']);
    await tokens.revoke('temp');
    expect((await call('GET', '/api/runs', token)).status).toBe(401);
    expect((await call('GET', '/api/runs', `${token}x`)).status).toBe(401);
  });

  it('keeps digests only, in a file only its owner reads; refuses bad names, duplicates and scopes', async () => {
    const { token, record } = await tokens.create('ui', ['read']);
    expect(token).toMatch(/^llt_[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(tokens.path, 'utf8');
    expect(text).not.toContain(token);
    expect(text).toContain(record.sha256);
    expect(statSync(tokens.path).mode & 0o777).toBe(0o600);
    expect(tokens.find(token)?.name).toBe('ui');
    await expect(tokens.create('ui', ['read'])).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(tokens.create('has space', ['read'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(tokens.revoke('nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(parseScopes(['read,trigger', 'read'])).toEqual(['read', 'trigger']);
    expect(() => parseScopes(['write'])).toThrow(/Unknown scope "write"; use read, trigger, promote, admin/);
    expect(() => parseScopes([])).toThrow(/No scope given/);
    writeFileSync(tokens.path, '{"tokens": [{"name": 1}]}');
    expect(() => tokens.list()).toThrow(/is malformed/);
  });

  it('leaves a whole token file when the writer is SIGKILLed mid-way', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=lakeloop-source',
        '--import',
        'tsx',
        'test/automation/fixtures/token-writer.ts',
        tokens.path,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const closed = new Promise((resolve) => child.on('close', resolve));
    let created = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('created')) created++;
      if (created === 30) {
        child.kill('SIGKILL');
        break;
      }
    }
    await closed;
    // The file parses and holds every token reported written (and maybe the one being written).
    const names = new ApiTokenFile(tokens.path).list().map((r) => r.name);
    expect(names.length).toBeGreaterThanOrEqual(30);
    expect(names.slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, i) => `t${i}`));
  });

  it('lakeloop tokens create | list | revoke', async () => {
    const created = await lakeloop([
      '--home',
      home,
      'tokens',
      'create',
      'ci',
      '--scope',
      'read,trigger',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    expect(tokens.find(token)?.scopes).toEqual(['read', 'trigger']);
    const listed = await lakeloop(['--home', home, 'tokens', 'list']);
    expect(listed.stdout).toMatch(/ci\s+read,trigger/);
    expect(listed.stdout).not.toContain(token);
    const bad = await lakeloop(['--home', home, 'tokens', 'create', 'x', '--scope', 'write']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect((await lakeloop(['--home', home, 'tokens', 'revoke', 'ci'])).code).toBe(0);
    expect(tokens.list()).toEqual([]);
  });
});
