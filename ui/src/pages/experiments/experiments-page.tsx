/** Experiments: training runs, metric charts, compare. */
import type { PageProps } from '../page-props.js';

/** The page (not built yet). */
export function ExperimentsPage({ path }: PageProps) {
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Experiments</h2>
      <p className="muted">
        Not built yet: <span className="mono">{path}</span>
      </p>
    </section>
  );
}
