/** The app shell: navigation across the pages, the token form when the API asks for one, the page. */
import { useState } from 'react';
import { storedToken, storeToken } from './api-client.js';
import { Link } from './link.js';
import { restartLiveStream, useLiveStatus } from './live-stream.js';
import { PAGES, pageOf, usePageComponent } from './pages.js';
import { useLocationPath } from './router.js';

/** The whole UI. */
export function App() {
  const path = useLocationPath();
  const page = pageOf(path);
  const Component = usePageComponent(page);
  const [generation, setGeneration] = useState(0);
  return (
    <>
      <header>
        <h1>
          <Link to="/">lakeloop</Link>
        </h1>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <Link key={p.id} to={p.path} current={p.id === page?.id}>
              {p.title}
            </Link>
          ))}
        </nav>
        <LiveIndicator />
        <TokenForm
          onChange={() => {
            restartLiveStream();
            setGeneration((g) => g + 1);
          }}
        />
      </header>
      <main>
        {page === undefined ? (
          <p>
            No page at <span className="mono">{path}</span>. <Link to="/">Go home</Link>.
          </p>
        ) : Component === undefined ? (
          <p className="muted">Loading…</p>
        ) : (
          /* a new token remounts the page, which fetches again */
          <Component key={`${page.id}:${generation}`} path={path} />
        )}
      </main>
    </>
  );
}

/** Whether the live stream is connected (pages update by themselves only then). */
function LiveIndicator() {
  const status = useLiveStatus();
  if (status === 'idle') return null;
  return (
    <span className={`live live-${status}`} role="status" aria-live="polite">
      {status === 'live' ? 'live' : status === 'connecting' ? 'connecting…' : 'reconnecting…'}
    </span>
  );
}

/** Where the user gives the API token (servers with tokens; kept for this tab only). */
function TokenForm({ onChange }: { onChange: () => void }) {
  const [value, setValue] = useState(storedToken() ?? '');
  return (
    <form
      className="token"
      onSubmit={(event) => {
        event.preventDefault();
        storeToken(value.trim());
        onChange();
      }}
    >
      <label>
        API token{' '}
        <input
          type="password"
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
          }}
          autoComplete="off"
        />
      </label>
      <button type="submit">Use</button>
    </form>
  );
}
