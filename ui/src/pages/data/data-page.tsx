/** Data: repositories, branches, commits, objects, compare, merge. */
import type { PageProps } from '../page-props.js';

/** The page (not built yet). */
export function DataPage({ path }: PageProps) {
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Data</h2>
      <p className="muted">
        Not built yet: <span className="mono">{path}</span>
      </p>
    </section>
  );
}
