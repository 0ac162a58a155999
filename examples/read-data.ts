/**
 * Reading versioned data from assets: the built-in data repository resource pins every step of a
 * run to one commit of `flights/main` (recorded on the run as `lakeloop/data_commit`), and
 * `readTable` turns Parquet under a prefix into typed columns.
 *
 * ```sh
 * node bin/lakeloop.js data repo create flights
 * node bin/lakeloop.js data import-chunks node_modules/vega-datasets/data/flights-3m.parquet flights main \
 *   --by month --column date --path months --until 2001-03-01
 * node bin/lakeloop.js materialize --defs examples/read-data.ts --select '*'
 * ```
 *
 * The embedded backend in the instance home is used unless `LAKEFS_ENDPOINT` and keys are set.
 */
import { defineAsset, Definitions } from 'lakeloop';
import { dataRepositoryResource } from 'lakeloop/data';

/** The `flights` repository, read at the run's commit of `main`. */
const data = dataRepositoryResource({ repository: 'flights', branch: 'main' });

/** Long flights of every month under `months/`: typed columns, filtered in DuckDB. */
export const longFlights = defineAsset({
  key: 'long_flights',
  resources: { data },
  compute: async (ctx) => {
    const table = await ctx.resources.data.readTable('months/', {
      columns: ['delay', 'distance', 'origin'],
      where: 'distance > 1000',
    });
    ctx.addMetadata({ rows: table.rowCount, data_commit: table.commitId, files: table.uris.length });
    const delay = table.columns.delay as Float64Array; // BIGINT arrives as Float64Array
    let late = 0;
    for (const minutes of delay) if (minutes > 15) late++;
    return { rows: table.rowCount, lateShare: table.rowCount === 0 ? 0 : late / table.rowCount };
  },
});

/** Reads the same commit as `long_flights`, even if new data was committed in between. */
export const monthsRead = defineAsset({
  key: 'months_read',
  deps: [longFlights],
  resources: { data },
  compute: async (ctx, { long_flights }) => {
    const files = await ctx.resources.data.files('months/');
    try {
      return { ...long_flights, commit: files.commitId, months: files.files.map((file) => file.path) };
    } finally {
      await files.release();
    }
  },
});

export const defs = new Definitions({ assets: [longFlights, monthsRead] });
