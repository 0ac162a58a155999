/**
 * Child process of the crash suite: commits months of a prepared flights source to the embedded
 * data repository of an instance home, one commit per month (the demo's `importMonth`), printing
 * `COMMITTED <month> <commit id>` (or `UNCHANGED <month>` when a killed earlier attempt had
 * committed it) after each. The crash trial SIGKILLs it mid-import and runs it again.
 *
 * @example
 * ```sh
 * node --conditions=lakeloop-source --import tsx test/reliability/import-months.ts <home> <source.parquet> 2001-01 2001-02
 * ```
 */
import { EmbeddedDataRepository } from 'lakeloop/data';
import { importMonth } from '../../pipelines/flight-delays/demo-data.js';

const [home, file, ...months] = process.argv.slice(2);
if (home === undefined || file === undefined || months.length === 0) {
  process.stderr.write('usage: import-months.ts <home> <source.parquet> <YYYY-MM>...\n');
  process.exit(2);
}
const data = new EmbeddedDataRepository({ home });
try {
  for (const month of months) {
    const result = await importMonth({
      data,
      source: { dataset: 'flights-2k', file, months },
      month,
      repository: 'flights',
      branch: 'main',
      prefix: 'flights',
    });
    const chunk = result.chunks[0];
    process.stdout.write(
      chunk?.status === 'committed' ? `COMMITTED ${month} ${chunk.commitId}\n` : `UNCHANGED ${month}\n`,
    );
  }
} finally {
  await data.close();
}
