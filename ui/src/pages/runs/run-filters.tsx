/**
 * The run list's filters, all in the query string: `status` (comma-separated, applied as soon as a
 * box is ticked), `job`, `tag` (`key=value`) and `commit` (a data commit id), applied on submit so
 * typing does not refetch at each key.
 */
import { useState } from 'react';
import type { SyntheticEvent } from 'react';
import { navigate, withQuery } from '../../router.js';
import { RUN_STATUSES } from './types.js';

/** The filters as they are in the URL. */
export interface RunFilterValues {
  statuses: readonly string[];
  job: string;
  tag: string;
  commit: string;
}

/** Reads the filters from a query string. */
export function filtersOf(search: string): RunFilterValues {
  const params = new URLSearchParams(search);
  const statuses = (params.get('status') ?? '').split(',').filter((s) => s !== '');
  return {
    statuses,
    job: params.get('job') ?? '',
    tag: params.get('tag') ?? '',
    commit: params.get('commit') ?? '',
  };
}

/** The API path of the first page for these filters. */
export function runsPath(filters: RunFilterValues, limit: number): string {
  const params = new URLSearchParams();
  if (filters.statuses.length > 0) params.set('status', filters.statuses.join(','));
  if (filters.job !== '') params.set('job', filters.job);
  if (filters.tag.includes('=')) params.set('tag', filters.tag);
  if (filters.commit !== '') params.set('commit', filters.commit);
  params.set('limit', String(limit));
  return `/api/runs?${params.toString()}`;
}

/** The filter form. */
export function RunFilters({ filters, jobs }: { filters: RunFilterValues; jobs: readonly string[] }) {
  const [job, setJob] = useState(filters.job);
  const [tag, setTag] = useState(filters.tag);
  const [commit, setCommit] = useState(filters.commit);
  const toggle = (status: string, on: boolean): void => {
    const next = RUN_STATUSES.filter((s) => (s === status ? on : filters.statuses.includes(s)));
    navigate(withQuery({ status: next.join(',') }), { replace: true });
  };
  const submit = (event: SyntheticEvent): void => {
    event.preventDefault();
    navigate(withQuery({ job: job.trim(), tag: tag.trim(), commit: commit.trim() }), { replace: true });
  };
  const tagInvalid = tag.trim() !== '' && !tag.includes('=');
  return (
    <form className="run-filters" onSubmit={submit} aria-label="Run filters">
      <fieldset>
        <legend>Status</legend>
        {RUN_STATUSES.map((status) => (
          <label key={status} className="check">
            <input
              type="checkbox"
              checked={filters.statuses.includes(status)}
              onChange={(e) => {
                toggle(status, e.target.checked);
              }}
            />
            {status}
          </label>
        ))}
      </fieldset>
      <div className="text-filters">
        <label>
          Job
          <input
            value={job}
            list="run-jobs"
            placeholder="retrain"
            onChange={(e) => {
              setJob(e.target.value);
            }}
          />
          <datalist id="run-jobs">
            {jobs.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
        </label>
        <label>
          Tag
          <input
            value={tag}
            placeholder="key=value"
            aria-invalid={tagInvalid}
            onChange={(e) => {
              setTag(e.target.value);
            }}
          />
        </label>
        <label>
          Data commit
          <input
            value={commit}
            className="mono"
            placeholder="commit id"
            onChange={(e) => {
              setCommit(e.target.value);
            }}
          />
        </label>
        <button type="submit">Apply</button>
        {tagInvalid && <span className="bad">a tag filter is key=value</span>}
      </div>
    </form>
  );
}
