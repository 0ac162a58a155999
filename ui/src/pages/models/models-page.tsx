/** Models: registered models, versions, aliases, promote and rollback. */
import type { PageProps } from '../page-props.js';

/** The page (not built yet). */
export function ModelsPage({ path }: PageProps) {
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Models</h2>
      <p className="muted">
        Not built yet: <span className="mono">{path}</span>
      </p>
    </section>
  );
}
