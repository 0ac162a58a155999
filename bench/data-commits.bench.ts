/**
 * Small commits per second on the embedded data repository (one object put + one commit each,
 * 10,000 commits on one branch), then the time to read one log page (100 commits) of that
 * 10,000-commit branch: the first page and a page deep in the history.
 * Goals (issue 3): >= 1,000 commits/s; one log page < 100 ms.
 *
 *   npm run bench -- data-commits
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDataRepository } from '../src/versioning/local/embedded-data-repository.js';
import { median, reportBench } from './bench-report.js';

const COMMITS = 10_000;
const home = mkdtempSync(join(tmpdir(), 'lakeloop-bench-'));
const data = new EmbeddedDataRepository({ home });
try {
  await data.createRepository({ name: 'bench' });
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < COMMITS; i++) {
    await data.putObject({
      repository: 'bench',
      branch: 'main',
      // A new object per commit: the tree grows to 10,000 objects, like data arriving.
      path: `events/${String(i).padStart(5, '0')}.json`,
      content: `{"i":${i}}`,
    });
    await data.commit({
      repository: 'bench',
      branch: 'main',
      message: `commit ${i}`,
      metadata: { i: String(i) },
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;

  const firstPage: number[] = [];
  let deepAfter = '';
  for (let run = 0; run < 20; run++) {
    const t = performance.now();
    const page = await data.log({ repository: 'bench', ref: 'main', amount: 100 });
    firstPage.push(performance.now() - t);
    deepAfter = page.nextOffset;
  }
  // Walk to page 50 (commit ~5,000) once, then time reading the page after it.
  for (let p = 0; p < 49; p++) {
    deepAfter = (await data.log({ repository: 'bench', ref: 'main', amount: 100, after: deepAfter }))
      .nextOffset;
  }
  const deepPage: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t = performance.now();
    await data.log({ repository: 'bench', ref: 'main', amount: 100, after: deepAfter });
    deepPage.push(performance.now() - t);
  }
  // The same page from a fresh instance (a new process): no cached commit rows.
  const cold = new EmbeddedDataRepository({ home });
  let t0 = performance.now();
  await cold.log({ repository: 'bench', ref: 'main', amount: 100 });
  const coldFirstPage = performance.now() - t0;
  t0 = performance.now();
  await cold.log({ repository: 'bench', ref: 'main', amount: 100, after: deepAfter });
  const coldDeepPage = performance.now() - t0;
  await cold.close();
  const prefixPage: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t = performance.now();
    await data.log({ repository: 'bench', ref: 'main', amount: 100, prefix: 'events/0999' });
    prefixPage.push(performance.now() - t);
  }
  reportBench(
    'data-commits',
    [
      {
        name: 'small_commits_per_second',
        value: COMMITS / seconds,
        unit: 'commits/s',
        goal: '>= 1000 commits/s',
      },
      // Wall time suffers when other processes share the CPU; CPU time per commit does not.
      { name: 'small_commits_per_cpu_second', value: COMMITS / cpuSeconds, unit: 'commits/s' },
      { name: 'log_first_page_median', value: median(firstPage), unit: 'ms', goal: '< 100 ms' },
      { name: 'log_page_50_median', value: median(deepPage), unit: 'ms', goal: '< 100 ms' },
      { name: 'log_first_page_cold', value: coldFirstPage, unit: 'ms', goal: '< 100 ms' },
      { name: 'log_page_50_cold', value: coldDeepPage, unit: 'ms' },
      { name: 'log_prefix_filtered_page_median', value: median(prefixPage), unit: 'ms' },
    ],
    { commits: COMMITS, pageSize: 100, objectsAtEnd: COMMITS, loadAverage: loadavg() },
  );
} finally {
  await data.close();
  rmSync(home, { recursive: true, force: true });
}
