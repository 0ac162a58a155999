/** Lineage and why, for a model version, a run or a commit. */
import type { PageProps } from '../page-props.js';

/** The page (not built yet). */
export function LineagePage({ path }: PageProps) {
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Lineage</h2>
      <p className="muted">
        Not built yet: <span className="mono">{path}</span>
      </p>
    </section>
  );
}
