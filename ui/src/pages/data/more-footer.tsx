/** What a paged table says under its rows: more coming, or more to load with a button. */
import type { DataPage } from './types.js';
import type { PagedState } from './use-paged.js';

/** The footer of a paged VirtualTable (nothing when every row is loaded). */
export function MoreFooter<T, TPage extends DataPage<T>>({ state }: { state: PagedState<T, TPage> }) {
  if (state.loadingMore) return <p className="muted data-more">Loading more…</p>;
  if (!state.hasMore) return null;
  return (
    <p className="data-more">
      <button type="button" onClick={state.loadMore}>
        Load more
      </button>
    </p>
  );
}
