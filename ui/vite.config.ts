// The web UI's build: ui/ into dist/ui/ (scripts/build.js runs it after tsc). Hashed files go to
// dist/ui/static/, which the server serves with immutable cache headers (src/server/ui-static.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { routePreload } from './route-preload.js';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  // The manifest tells bench/ui-bundle.bench.ts which files each page loads.
  // Hashed files go to static/, not Vite's default assets/: /assets is the Assets page.
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    manifest: true,
    assetsDir: 'static',
    rollupOptions: {
      // React libraries mark themselves 'use client' (for React Server Components); meaningless here.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  plugins: [routePreload()],
  logLevel: 'warn',
});
