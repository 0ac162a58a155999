/** Runs: the list with filters; /runs/<id> is one run. */
import type { PageProps } from '../page-props.js';

/** The page (not built yet). */
export function RunsPage({ path }: PageProps) {
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Runs</h2>
      <p className="muted">
        Not built yet: <span className="mono">{path}</span>
      </p>
    </section>
  );
}
