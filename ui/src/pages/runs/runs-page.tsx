/** Runs: the list with filters; /runs/<id> is one run. */
import type { PageProps } from '../page-props.js';
import { RunList } from './run-list.js';
import { RunView } from './run-view.js';
import './runs.css';

/** The page: the list, or the run the path names. */
export function RunsPage({ path }: PageProps) {
  const runId = decodeURIComponent(path.split('/')[2] ?? '');
  return runId === '' ? <RunList /> : <RunView key={runId} runId={runId} />;
}
