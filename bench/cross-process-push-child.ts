/**
 * The committer of `bench/cross-process-push.bench.ts`, a process of its own: for every line
 * `commit <i>` on stdin it puts one object and commits it on `flights/main` of the home, then
 * prints `committed <commit id> <epoch ms when commit() returned>`.
 *
 * @example
 * ```sh
 * echo 'commit 0' | node --conditions=lakeloop-source --import tsx bench/cross-process-push-child.ts /tmp/home
 * ```
 */
import { createInterface } from 'node:readline';
import { EmbeddedDataRepository } from 'lakeloop/data';

const home = process.argv[2] ?? '.lakeloop';
const data = new EmbeddedDataRepository({ home });
for await (const line of createInterface({ input: process.stdin })) {
  const [word, i] = line.split(' ');
  if (word !== 'commit') continue;
  await data.putObject({
    repository: 'flights',
    branch: 'main',
    path: `chunk-${i}.csv`,
    content: `row,${i}\n`,
  });
  const { id } = await data.commit({ repository: 'flights', branch: 'main', message: `chunk ${i}` });
  process.stdout.write(`committed ${id} ${Date.now()}\n`);
}
await data.close();
