/**
 * A writer process killed (SIGKILL) with an append transaction open on the server leaves only
 * whole transactions: the test holds the `shared` asset's index row locked, so the child's next
 * append stops inside its transaction after inserting its events; then the child is killed, the
 * lock released, and the server ends the orphaned transaction. Afterwards every run's events are
 * all there or none, ids keep increasing (a new append gets a higher id than any before), the
 * latest-materialization index points at a stored event, and every claimed run key is claimed
 * exactly once (a second claim loses).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { openPostgresStorages } from '../../src/core/storage/postgres/postgres-storages.js';
import { createTestSchema, describeWithPostgres } from '../support/postgres-test-env.js';
import type { TestSchema } from '../support/postgres-test-env.js';
import { EVENTS_PER_BATCH } from './fixtures/postgres-writer-shape.js';

const childScript = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'postgres-writer-child.ts');
const schemas: TestSchema[] = [];

afterEach(async () => {
  for (const schema of schemas.splice(0)) await schema.drop();
});

/** Polls `check` (a real condition on the server) until it holds; fails after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeWithPostgres('PostgreSQL storage after a writer is killed', (url) => {
  it('keeps only whole transactions, increasing ids and run keys claimed once', async () => {
    const schema = createTestSchema(url, 'crash');
    schemas.push(schema);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      // The child's sessions carry the schema's name, so the test tells them from other tests' sessions.
      const childUrl = new URL(schema.url);
      childUrl.searchParams.set('application_name', schema.name);
      const child = spawn(process.execPath, ['--import', 'tsx', childScript, childUrl.href], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => {
        child.on('close', (_code, signal) => {
          resolve(signal);
        });
      });
      const lines = createInterface({ input: child.stdout });
      let progress = -1;
      lines.on('line', (line) => {
        progress = Number(line.replace('progress ', ''));
      });
      await until('the child wrote five runs', () => Promise.resolve(progress >= 4));
      // Hold the next append inside its transaction: its upsert of `shared`'s index row waits for this lock.
      await locker.query('BEGIN');
      await locker.query(
        `SELECT * FROM "${schema.name}".asset_latest_materializations WHERE asset_key = 'shared' FOR UPDATE`,
      );
      await until('the child waits on the lock inside its append', async () => {
        const { rows } = await admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'
           AND query LIKE 'INSERT INTO asset_latest_materializations%'`,
          [schema.name],
        );
        return rows.length > 0;
      });
      const blockedRun = `run-${progress + 1}`;
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await locker.query('ROLLBACK');
      await until('the server ended the killed writer’s sessions', async () => {
        const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [
          schema.name,
        ]);
        return rows.length === 0;
      });

      await using storages = await openPostgresStorages({ url: schema.url });
      const events = await storages.events.getEvents({});
      const perRun = new Map<string, number[]>();
      for (const event of events) {
        perRun.set(event.runId, [...(perRun.get(event.runId) ?? []), Number(event.data?.seq)]);
      }
      expect(perRun.has(blockedRun)).toBe(false); // its rows were inserted, never committed
      expect(perRun.size).toBeGreaterThanOrEqual(5);
      for (const seqs of perRun.values()) {
        expect(seqs).toEqual(Array.from({ length: EVENTS_PER_BATCH }, (_, i) => i)); // whole, in order
      }
      const ids = events.map((event) => event.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const [next] = await storages.events.appendEvents([
        { runId: 'after', type: 'LOG', timestamp: 0, message: 'after the crash' },
      ]);
      expect(next).toBeGreaterThan(Math.max(...ids));
      const [latest] = await storages.events.latestMaterializations(['shared']);
      expect(latest?.event.runId).toBe(
        `run-${String(Math.max(...[...perRun.keys()].map((r) => Number(r.slice(4)))))}`,
      );
      // The blocked run's record and its claim are whole rows: it exists QUEUED, its key claimed once.
      expect((await storages.runs.getRun(blockedRun))?.status).toBe('QUEUED');
      const { rows: keyCounts } = await admin.query<{ run_key: string; n: string }>(
        `SELECT run_key, count(*) AS n FROM "${schema.name}".run_keys GROUP BY run_key`,
      );
      expect(keyCounts.length).toBeGreaterThanOrEqual(perRun.size);
      expect(keyCounts.every((row) => row.n === '1')).toBe(true);
      for (const { run_key: key } of keyCounts) {
        expect(await storages.schedules.claimRunKey('sensor', key, 'someone-else')).toBe(false);
        expect(await storages.schedules.getRunIdForKey('sensor', key)).toBe(`run-${key.slice(4)}`);
      }
    } finally {
      await locker.end();
      await admin.end();
    }
  });
});
