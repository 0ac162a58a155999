/**
 * What the PostgreSQL storage guarantees beyond the contract suites, against the private test
 * cluster: migrations (versioned, refused when newer, safe when hosts open at once), errors that
 * never carry the password, cross-connection semantics (compare-and-set, run-key claims, event
 * tailing while several writers append), and LISTEN/NOTIFY wake-ups.
 */
import { afterEach, expect, it } from 'vitest';
import pg from 'pg';
import type { EventRecord } from '../../src/core/events/event-types.js';
import { openPostgresStorages } from '../../src/core/storage/postgres/postgres-storages.js';
import type { PostgresStorages } from '../../src/core/storage/postgres/postgres-storages.js';
import { LATEST_POSTGRES_VERSION } from '../../src/core/storage/postgres/postgres-schema.js';
import { parsePostgresUrl } from '../../src/core/storage/postgres/postgres-url.js';
import { Instance } from '../../src/core/instance/instance.js';
import { isLakeloopError } from '../../src/errors.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRun } from '../contracts/storage-contract-support.js';
import { createTestSchema, describeWithPostgres } from '../support/postgres-test-env.js';
import type { TestSchema } from '../support/postgres-test-env.js';

const opened: PostgresStorages[] = [];
const schemas: TestSchema[] = [];

afterEach(async () => {
  for (const storages of opened.splice(0)) await storages.close();
  for (const schema of schemas.splice(0)) await schema.drop();
});

function step(runId: string, n: number): EventRecord {
  return { runId, type: 'LOG', stepKey: 'a', timestamp: n, message: `event ${n}` };
}

describeWithPostgres('PostgreSQL storages', (url) => {
  const schema = (): TestSchema => {
    const created = createTestSchema(url, 'pgs');
    schemas.push(created);
    return created;
  };
  const open = async (target: string): Promise<PostgresStorages> => {
    const storages = await openPostgresStorages({ url: target });
    opened.push(storages);
    return storages;
  };
  const sql = async (text: string): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };

  it('creates its schema with a schema_version table, and hosts opening at once do not race', async () => {
    const s = schema();
    const bundles = await Promise.all(Array.from({ length: 6 }, () => open(s.url)));
    expect(bundles).toHaveLength(6);
    const { rows } = await sql(`SELECT version FROM "${s.name}".schema_version ORDER BY version`);
    expect(rows.map((row: { version: number }) => row.version)).toEqual(
      Array.from({ length: LATEST_POSTGRES_VERSION }, (_, i) => i + 1),
    );
    await bundles[0]?.runs.addRun(makeRun({ runId: 'r1' }));
    expect((await bundles[5]?.runs.getRun('r1'))?.runId).toBe('r1');
  });

  it('refuses a schema newer than this lakeloop with PRECONDITION_FAILED', async () => {
    const s = schema();
    await (await open(s.url)).close();
    await sql(`INSERT INTO "${s.name}".schema_version (version) VALUES (${LATEST_POSTGRES_VERSION + 1})`);
    const error: unknown = await openPostgresStorages({ url: s.url }).catch((e: unknown) => e);
    expect(isLakeloopError(error, 'PRECONDITION_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/newer than this lakeloop.*upgrade lakeloop/);
  });

  it('puts everything in the schema of the option, else of ?schema=, and rejects odd names', async () => {
    const s = schema();
    const storages = await openPostgresStorages({ url, schema: s.name });
    opened.push(storages);
    expect(storages.schema).toBe(s.name);
    expect(() => parsePostgresUrl(`${url}?schema=Bad-Name`)).toThrow(/Invalid PostgreSQL schema name/);
    // The URL's own libpq options are kept, and do not displace the schema.
    const withOptions = new URL(url);
    withOptions.searchParams.set('options', '-c statement_timeout=60000');
    const other = schema();
    const both = await openPostgresStorages({ url: withOptions.href, schema: other.name });
    opened.push(both);
    await both.runs.addRun(makeRun({ runId: 'in-other' }));
    const { rows } = await sql(`SELECT run_id FROM "${other.name}".runs`);
    expect(rows).toEqual([{ run_id: 'in-other' }]);
  });

  it('never puts the password in an error: an unreachable server is UNAVAILABLE with the URL redacted', async () => {
    const port = new URL(url).port;
    const bad = `postgres://lakeloop:pa55-w0rd-secret@127.0.0.1:1/lakeloop_test`;
    const error: unknown = await openPostgresStorages({ url: bad }).catch((e: unknown) => e);
    expect(isLakeloopError(error, 'UNAVAILABLE')).toBe(true);
    const text = JSON.stringify({
      message: (error as Error).message,
      details: (error as { details?: unknown }).details,
    });
    expect(text).not.toContain('pa55-w0rd-secret');
    expect(text).toContain('[REDACTED]');
    expect(port).not.toBe('1');
  });

  it('lets exactly one of many compare-and-sets from different pools win', async () => {
    const s = schema();
    const [a, b] = [await open(s.url), await open(s.url)];
    await a.runs.addRun(makeRun({ runId: 'r1', status: 'QUEUED' }));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).runs.updateRun(
          'r1',
          { status: 'STARTING', tags: { winner: String(i) } },
          'QUEUED',
        ),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await b.runs.getRun('r1'))?.tags.winner).toBe(String(winner));
  });

  it('claims a run key exactly once across pools', async () => {
    const s = schema();
    const [a, b] = [await open(s.url), await open(s.url)];
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).schedules.claimRunKey('sensor', 'commit-1', `run-${i}`),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await a.schedules.getRunIdForKey('sensor', 'commit-1')).toBe(`run-${claims.indexOf(true)}`);
  });

  it('a reader tailing by afterId while four pools append at once misses no event and sees none twice', async () => {
    const s = schema();
    const writers = await Promise.all(Array.from({ length: 4 }, () => open(s.url)));
    const reader = await open(s.url);
    const perWriter = 60;
    const state = { writing: true };
    const appends = Promise.all(
      writers.map(async (writer, w) => {
        for (let i = 0; i < perWriter; i++) {
          await writer.events.appendEvents([step(`run-${w}`, i), step(`run-${w}`, i + 1000)]);
        }
      }),
    ).finally(() => {
      state.writing = false;
    });
    const seen: number[] = [];
    let afterId = 0;
    for (;;) {
      // Whether the writers were done BEFORE this read: only then is an empty read the end.
      const doneBefore = !state.writing;
      const batch = await reader.events.getEvents({ afterId });
      for (const event of batch) {
        seen.push(event.id);
        afterId = event.id;
      }
      if (doneBefore && batch.length === 0) break;
    }
    await appends;
    expect(seen).toHaveLength(writers.length * perWriter * 2);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
  });

  it('wakes a subscriber of another pool with the run id when events are appended or a run changes status', async () => {
    const s = schema();
    const [writer, reader] = [await open(s.url), await open(s.url)];
    const woken: string[] = [];
    let wake: (() => void) | undefined;
    const woke = (): Promise<void> =>
      new Promise((resolve) => {
        wake = resolve;
      });
    reader.subscribe('events', (runId) => {
      woken.push(`events:${String(runId)}`);
      wake?.();
    });
    reader.subscribe('runs', (runId) => {
      woken.push(`runs:${String(runId)}`);
      wake?.();
    });
    await reader.listening();
    let next = woke();
    await writer.events.appendEvents([step('r1', 1), step('r1', 2)]);
    await next;
    next = woke();
    await writer.runs.addRun(makeRun({ runId: 'r2' }));
    await next;
    next = woke();
    await writer.runs.updateRun('r2', { tags: { only: 'tags' } }); // no status change: no wake-up
    await writer.runs.updateRun('r2', { status: 'STARTING' }, 'QUEUED');
    await next;
    expect(woken).toEqual(['events:r1', 'runs:r2', 'runs:r2']);
  });

  it('reconnects a dropped LISTEN connection, waking subscribers with undefined, and keeps delivering', async () => {
    const s = schema();
    const [writer, reader] = [await open(s.url), await open(s.url)];
    const woken: (string | undefined)[] = [];
    let wake: (() => void) | undefined;
    const woke = (): Promise<void> =>
      new Promise((resolve) => {
        wake = resolve;
      });
    reader.subscribe('events', (runId) => {
      woken.push(runId);
      wake?.();
    });
    await reader.listening();
    let next = woke();
    // What a server restart or a network cut does to the listening session.
    await sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'lakeloop-listen' AND query LIKE 'LISTEN "${s.name}_events"%'`,
    );
    await next;
    expect(woken).toEqual([undefined]);
    next = woke();
    await writer.events.appendEvents([step('after-reconnect', 1)]);
    await next;
    expect(woken).toEqual([undefined, 'after-reconnect']);
  });

  it('Instance.open uses PostgreSQL for storageUrl or LAKELOOP_STORAGE_URL, and SQLite without either', async () => {
    const s = schema();
    const home = mkdtempSync(join(tmpdir(), 'lakeloop-pg-home-'));
    try {
      const byOption = await Instance.open({ home, storageUrl: s.url, recoverDeadRuns: false });
      await byOption.runs.addRun(makeRun({ runId: 'from-option' }));
      expect(typeof byOption.storages.subscribe).toBe('function');
      await byOption.close();
      process.env.LAKELOOP_STORAGE_URL = s.url;
      try {
        const byEnv = await Instance.open({ home, recoverDeadRuns: false });
        expect((await byEnv.runs.getRun('from-option'))?.runId).toBe('from-option');
        await byEnv.close();
        const error: unknown = await Instance.open({ home, storageUrl: 'mysql://u:p@h/db' }).catch(
          (e: unknown) => e,
        );
        expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
      } finally {
        delete process.env.LAKELOOP_STORAGE_URL;
      }
      const embedded = await Instance.open({ home, recoverDeadRuns: false });
      expect('subscribe' in embedded.storages).toBe(false);
      expect(await embedded.runs.getRun('from-option')).toBeUndefined();
      await embedded.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
