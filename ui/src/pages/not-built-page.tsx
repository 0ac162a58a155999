/** What every page but Home shows until it is built (issue #15 lists what each will hold). */
import type { Page } from '../pages.js';

/** A page that does not exist yet. */
export function NotBuiltPage({ page, path }: { page: Page; path: string }) {
  return (
    <div>
      <h2>{page.title}</h2>
      <p>
        This page is not built yet. <span className="mono">{path}</span> will open here once it is; until then
        the API has the data (<a href="/api">GET /api</a> lists the routes).
      </p>
    </div>
  );
}
