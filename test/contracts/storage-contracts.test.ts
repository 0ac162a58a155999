/**
 * Runs the three storage contract suites over every implementation: in memory, and SQLite
 * (each storage alone on its own file, and the three of one `openSqliteStorages` bundle).
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
import type { Storages } from '../../src/core/storage/storages.js';
import { describeEventLogStorageContract } from './event-log-storage.contract.js';
import { describeRunStorageContract } from './run-storage.contract.js';
import { describeScheduleStorageContract } from './schedule-storage.contract.js';

const tempDirs: string[] = [];
const bundles: Storages[] = [];

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
});

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
