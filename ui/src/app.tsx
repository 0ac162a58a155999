/** The app shell: navigation across the pages, the token form when the API asks for one, the page. */
import { useState } from 'react';
import { storedToken, storeToken } from './api-client.js';
import { Link } from './link.js';
import { HomePage } from './pages/home-page.js';
import { NotBuiltPage } from './pages/not-built-page.js';
import { PAGES, pageOf } from './pages.js';
import { useLocationPath } from './router.js';

/** The whole UI. */
export function App() {
  const path = useLocationPath();
  const page = pageOf(path);
  const [generation, setGeneration] = useState(0);
  return (
    <>
      <header>
        <h1>
          <Link to="/">lakeloop</Link>
        </h1>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <Link key={p.id} to={p.path} current={p.id === page?.id} className={p.built ? '' : 'unbuilt'}>
              {p.title}
            </Link>
          ))}
        </nav>
        <TokenForm
          onChange={() => {
            setGeneration((g) => g + 1);
          }}
        />
      </header>
      <main>
        {page === undefined ? (
          <p>
            No page at <span className="mono">{path}</span>. <Link to="/">Go home</Link>.
          </p>
        ) : page.id === 'home' ? (
          <HomePage generation={generation} />
        ) : (
          <NotBuiltPage page={page} path={path} />
        )}
      </main>
    </>
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
