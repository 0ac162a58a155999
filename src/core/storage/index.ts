/**
 * Orchestration storage: the {@link Storages} bundle and its SQLite (embedded default) and
 * in-memory implementations. The interfaces live in storage-types.ts.
 *
 * @example
 * ```ts
 * import { openSqliteStorages, createMemoryStorages } from 'lakeloop';
 * const storages = openSqliteStorages({ path: '.lakeloop/lakeloop.db' });
 * ```
 */
export type { Storages } from './storages.js';
export { openSqliteStorages } from './sqlite/sqlite-storages.js';
export type { OpenSqliteStoragesOptions, SqliteStorages } from './sqlite/sqlite-storages.js';
export type { OpenSqliteStorageOptions } from './sqlite/sqlite-open.js';
export { STORAGE_MIGRATIONS } from './sqlite/sqlite-schema.js';
export { SqliteRunStorage, openSqliteRunStorage } from './sqlite/sqlite-run-storage.js';
export type { SqliteRunStorageOptions } from './sqlite/sqlite-run-storage.js';
export { SqliteEventLogStorage, openSqliteEventLogStorage } from './sqlite/sqlite-event-log-storage.js';
export type { SqliteEventLogStorageOptions } from './sqlite/sqlite-event-log-storage.js';
export { SqliteScheduleStorage, openSqliteScheduleStorage } from './sqlite/sqlite-schedule-storage.js';
export type { SqliteScheduleStorageOptions } from './sqlite/sqlite-schedule-storage.js';
export { createMemoryStorages } from './memory/memory-storages.js';
export type { MemoryStorages, MemoryStoragesOptions } from './memory/memory-storages.js';
export { MemoryRunStorage } from './memory/memory-run-storage.js';
export type { MemoryRunStorageOptions } from './memory/memory-run-storage.js';
export { MemoryEventLogStorage } from './memory/memory-event-log-storage.js';
export { MemoryScheduleStorage } from './memory/memory-schedule-storage.js';
