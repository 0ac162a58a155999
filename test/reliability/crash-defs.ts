/**
 * The code location of the crash suite's child processes: the flight-delays definitions with the
 * flights-2k configuration of `npm start -- --data flights-2k` (small model, AUC floor 0.5), its
 * backends embedded in the child's instance home (`$LAKELOOP_HOME`).
 *
 * @example
 * ```sh
 * LAKELOOP_HOME=/tmp/h lakeloop daemon --defs test/reliability/crash-defs.ts --orphaned-runs reexecute
 * ```
 */
import type { Definitions } from 'lakeloop';
import { demoConfig } from '../../pipelines/flight-delays/demo-data.js';
import { buildDefinitions } from '../../pipelines/flight-delays/definitions.js';

/** The flight-delays definitions, configured as the flights-2k demo. */
export const defs: Definitions = buildDefinitions({ config: demoConfig('flights-2k') }).defs;
