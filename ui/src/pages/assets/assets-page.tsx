/** Assets: the catalog and the graph of assets; /assets/<key> is one asset. */
import type { PageProps } from '../page-props.js';

/** The page (not built yet). */
export function AssetsPage({ path }: PageProps) {
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Assets</h2>
      <p className="muted">
        Not built yet: <span className="mono">{path}</span>
      </p>
    </section>
  );
}
