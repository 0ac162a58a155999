/** Entry point of the web UI (served by `lakeloop dev` at /; docs/ui.md). */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { loadPage, PAGES, pageOf } from './pages.js';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
const mount = root;

// The URL's page first (its chunk is already downloading: ui/route-preload.ts), so the first render
// shows it; the other pages once the browser is idle.
const first = pageOf(window.location.pathname);
void (first === undefined ? Promise.resolve() : loadPage(first).then(() => undefined))
  .catch(() => undefined)
  .then(() => {
    createRoot(mount).render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
    const loadOthers = (): void => {
      for (const other of PAGES) void loadPage(other).catch(() => undefined);
    };
    // Safari has no requestIdleCallback.
    if ('requestIdleCallback' in window) window.requestIdleCallback(loadOthers);
    else setTimeout(loadOthers, 500);
  });
