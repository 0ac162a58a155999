/**
 * A Vite plugin for the first render of a deep link: every page but Home is a lazy chunk, which the
 * browser would only ask for once the entry chunk has run. This writes into index.html a tiny
 * script that, from the URL's first path segment, adds `<link rel="modulepreload">` for that page's
 * chunk and the chunks it imports, so they download alongside the entry.
 */
import type { Plugin } from 'vite';

/** `ui/src/pages/<id>/<id>-page.tsx` → the page's first path segment. */
const PAGE_MODULE = /\/pages\/([\w-]+)\/\1-page\.tsx$/;

/** The plugin (build only). */
export function routePreload(): Plugin {
  return {
    name: 'lakeloop-route-preload',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, context) {
        const bundle = context.bundle;
        if (bundle === undefined) return html;
        const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
        const byFile = new Map(chunks.map((c) => [c.fileName, c]));
        const entry = chunks.find((c) => c.isEntry);
        const withEntry = new Set(entry === undefined ? [] : [entry.fileName, ...entry.imports]);
        const files: Record<string, string[]> = {};
        for (const chunk of chunks) {
          const page = PAGE_MODULE.exec(chunk.facadeModuleId ?? '')?.[1];
          if (page === undefined) continue;
          const wanted = new Set<string>();
          const visit = (file: string): void => {
            if (wanted.has(file) || withEntry.has(file)) return;
            wanted.add(file);
            for (const imported of byFile.get(file)?.imports ?? []) visit(imported);
          };
          visit(chunk.fileName);
          files[page] = [...wanted];
        }
        const script = `(()=>{const m=${JSON.stringify(files)};for(const f of m[location.pathname.split('/')[1]]||[]){const l=document.createElement('link');l.rel='modulepreload';l.href='/'+f;document.head.appendChild(l)}})()`;
        return [{ tag: 'script', children: script, injectTo: 'head-prepend' }];
      },
    },
  };
}
