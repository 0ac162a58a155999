/**
 * Runs the three storage contract suites over every implementation: in memory, SQLite (each
 * storage alone on its own file, and the three of one `openSqliteStorages` bundle), and
 * PostgreSQL (the three of one `openPostgresStorages` bundle, each test in its own schema of the
 * private test cluster, dropped afterwards; skipped locally without PostgreSQL, failed in CI).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { MemoryEventLogStorage } from '../../src/core/storage/memory/memory-event-log-storage.js';
import { MemoryRunStorage } from '../../src/core/storage/memory/memory-run-storage.js';
import { MemoryScheduleStorage } from '../../src/core/storage/memory/memory-schedule-storage.js';
import { createMemoryStorages } from '../../src/core/storage/memory/memory-storages.js';
import { openSqliteEventLogStorage } from '../../src/core/storage/sqlite/sqlite-event-log-storage.js';
import { openSqliteRunStorage } from '../../src/core/storage/sqlite/sqlite-run-storage.js';
import { openSqliteScheduleStorage } from '../../src/core/storage/sqlite/sqlite-schedule-storage.js';
import { openSqliteStorages } from '../../src/core/storage/sqlite/sqlite-storages.js';
import { openPostgresStorages } from '../../src/core/storage/postgres/postgres-storages.js';
import type { Storages } from '../../src/core/storage/storages.js';
import { createTestSchema, describeWithPostgres } from '../support/postgres-test-env.js';
import type { TestSchema } from '../support/postgres-test-env.js';
import { describeEventLogStorageContract } from './event-log-storage.contract.js';
import { describeRunStorageContract } from './run-storage.contract.js';
import { describeScheduleStorageContract } from './schedule-storage.contract.js';
import type { StorageFactoryContext } from './storage-contract-support.js';

const tempDirs: string[] = [];
const bundles: Storages[] = [];
const schemas: TestSchema[] = [];

function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  tempDirs.push(dir);
  return join(dir, 'lakeloop.db');
}

/** A storage from a bundle, whose close() the suite calls; the bundle itself is closed here. */
function fromBundle(storages: Storages): Storages {
  bundles.push(storages);
  return storages;
}

afterEach(async () => {
  for (const storages of bundles.splice(0)) await storages.close();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas.splice(0)) await schema.drop();
});

/** A bundle on a fresh schema of the test cluster (dropped after the test). */
async function postgresBundle(url: string, clock: StorageFactoryContext['clock']): Promise<Storages> {
  const schema = createTestSchema(url, 'contract');
  schemas.push(schema);
  return fromBundle(await openPostgresStorages({ url: schema.url, clock }));
}

describeRunStorageContract('memory', ({ clock }) => new MemoryRunStorage({ clock }));
describeRunStorageContract('memory bundle', ({ clock }) => fromBundle(createMemoryStorages({ clock })).runs);
describeRunStorageContract('sqlite', ({ clock }) => openSqliteRunStorage({ path: tempDbPath(), clock }));
describeRunStorageContract(
  'sqlite bundle',
  ({ clock }) => fromBundle(openSqliteStorages({ path: tempDbPath(), clock })).runs,
);

describeEventLogStorageContract('memory', () => new MemoryEventLogStorage());
describeEventLogStorageContract('sqlite', () => openSqliteEventLogStorage({ path: tempDbPath() }));
describeEventLogStorageContract(
  'sqlite bundle',
  ({ clock }) => fromBundle(openSqliteStorages({ path: tempDbPath(), clock })).events,
);

describeScheduleStorageContract('memory', () => new MemoryScheduleStorage());
describeScheduleStorageContract('sqlite', ({ clock }) =>
  openSqliteScheduleStorage({ path: tempDbPath(), clock }),
);
describeScheduleStorageContract(
  'sqlite bundle',
  ({ clock }) => fromBundle(openSqliteStorages({ path: tempDbPath(), clock })).schedules,
);

describeWithPostgres('PostgreSQL storages', (url) => {
  describeRunStorageContract('postgres bundle', async ({ clock }) => (await postgresBundle(url, clock)).runs);
  describeEventLogStorageContract(
    'postgres bundle',
    async ({ clock }) => (await postgresBundle(url, clock)).events,
  );
  describeScheduleStorageContract(
    'postgres bundle',
    async ({ clock }) => (await postgresBundle(url, clock)).schedules,
  );
});
