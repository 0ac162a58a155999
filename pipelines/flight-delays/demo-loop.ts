/**
 * The body of `npm start` on a given instance home (main.ts recreates the home and parses the
 * options): starts the demo, imports every month of the dataset, prints progress and the summary
 * (demo-report.ts), and closes the demo. Run twice on one home (or against a lakeFS repository that
 * outlives the home), the second run reports the months as unchanged.
 *
 * @example
 * ```ts
 * await runDemoLoop({ home: '/tmp/demo', dataset: 'flights-2k', json: false, log: console.log, writeJson: console.log });
 * ```
 */
import { performance } from 'node:perf_hooks';
import { demoConfig } from './demo-data.js';
import type { DemoDataset } from './demo-data.js';
import { formatProgress, formatSummary, summaryJson } from './demo-report.js';
import type { DemoSummary } from './demo-report.js';
import { startDemo } from './demo-runner.js';
import type { MonthOutcome } from './demo-runner.js';
import type { FlightConfigOverrides } from './pipeline-config.js';

/** Options of {@link runDemoLoop}. */
export interface RunDemoLoopOptions {
  /** The instance home (used as it is: main.ts recreates it first). */
  home: string;
  dataset: DemoDataset;
  /** Print the summary as JSON through `writeJson` instead of the text summary through `log`. */
  json: boolean;
  /** Receives every progress and text line (without a trailing newline). */
  log: (line: string) => void;
  /** Receives the JSON document (with `json`). */
  writeJson: (text: string) => void;
  /** Settings and run-config defaults. Default {@link demoConfig} of the dataset. */
  config?: FlightConfigOverrides;
  /** Environment of the backends and settings. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** Runs the demo loop once on `options.home` and returns what it reported. */
export async function runDemoLoop(options: RunDemoLoopOptions): Promise<DemoSummary> {
  const started = performance.now();
  const { home, log } = options;
  log(`lakeloop demo: ${options.dataset}, instance home ${home}`);
  const demo = await startDemo({
    home,
    dataset: options.dataset,
    config: options.config ?? demoConfig(options.dataset),
    ...(options.env === undefined ? {} : { env: options.env }),
    onProgress: (progress) => {
      const line = formatProgress(progress);
      if (line !== undefined) log(line);
    },
  });
  try {
    log(
      `daemon running; sensor watches ${demo.settings.repository}@${demo.settings.branch} (months: ${demo.source.months.join(', ')})`,
    );
    const outcomes: MonthOutcome[] = [];
    for (const month of demo.source.months) outcomes.push(await demo.commitMonth(month));
    const summary: DemoSummary = {
      outcomes,
      versions: await demo.versions(),
      totalSeconds: (performance.now() - started) / 1000,
      home,
      repository: demo.settings.repository,
      branch: demo.settings.branch,
    };
    if (options.json) {
      options.writeJson(JSON.stringify(summaryJson({ ...summary, dataset: options.dataset }), null, 2));
    } else {
      for (const line of formatSummary(summary)) log(line);
    }
    return summary;
  } finally {
    await demo.close();
  }
}
