/**
 * The NOTIFY channels of one PostgreSQL storage schema: `<schema>_events` (payload: the run id
 * whose events were appended) and `<schema>_runs` (payload: the run id that was added or changed
 * status). One pair per schema, so instances (and tests) sharing a database do not wake each other.
 *
 * @example
 * ```ts
 * postgresChannels('lakeloop'); // { events: 'lakeloop_events', runs: 'lakeloop_runs' }
 * ```
 */

/** The channel names of a schema (a checked identifier, see checkSchemaName). */
export function postgresChannels(schema: string): { events: string; runs: string } {
  return { events: `${schema}_events`, runs: `${schema}_runs` };
}
