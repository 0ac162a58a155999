/**
 * `/data/<repo>/compare?left=&right=`: what changed from `left` to `right` (`GET …/diff`, 500
 * entries a page): the per-prefix summary and the entries.
 */
import { useState } from 'react';
import { navigate, useQueryParam } from '../../router.js';
import type { RepoViewProps } from './commits-view.js';
import { shortId } from './data-format.js';
import { dataPath, queryString, repoApi } from './data-paths.js';
import { DiffView } from './diff-tables.js';
import { RefField } from './ref-input.js';
import type { DiffAnswer, DiffEntry } from './types.js';
import { usePaged } from './use-paged.js';

const PAGE_SIZE = 500;

const refLabel = (ref: string): string => (ref.length > 12 ? shortId(ref) : ref);

/** The comparison of two refs. */
export function CompareView({ repo, refList }: RepoViewProps) {
  const [left] = useQueryParam('left');
  const [right] = useQueryParam('right');
  const chosen = left !== '' && right !== '';
  const diff = usePaged<DiffEntry, DiffAnswer>(
    chosen ? repoApi(repo, `/diff${queryString({ left, right, limit: PAGE_SIZE })}`) : undefined,
  );
  return (
    <section aria-labelledby="compare-title">
      <h3 id="compare-title">Compare {chosen ? `${refLabel(left)} → ${refLabel(right)}` : 'two refs'}</h3>
      <CompareForm key={`${left}|${right}`} repo={repo} left={left} right={right} refList={refList} />
      {chosen ? (
        <DiffView diff={diff} label={`${refLabel(left)} to ${refLabel(right)}`} empty="No differences." />
      ) : (
        <p className="muted">Choose the two refs (a branch, a tag or a commit id) to compare.</p>
      )}
    </section>
  );
}

function CompareForm({
  repo,
  left,
  right,
  refList,
}: {
  repo: string;
  left: string;
  right: string;
  refList: string;
}) {
  const [from, setFrom] = useState(left);
  const [to, setTo] = useState(right);
  return (
    <form
      className="data-form"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(dataPath(repo, 'compare', { left: from.trim(), right: to.trim() }));
      }}
    >
      <RefField label="From" name="left" value={from} onChange={setFrom} refList={refList} />
      <RefField label="To" name="right" value={to} onChange={setTo} refList={refList} />
      <button type="submit">Compare</button>
    </form>
  );
}
