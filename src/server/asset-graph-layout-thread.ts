/**
 * Runs an asset graph layout in a `node:worker_threads` worker: a cold dagre layout of a large
 * graph is CPU-bound (hundreds of ms), and in the server's thread it would stall every other
 * request and the live stream. One short-lived worker per cold layout: they are rare (the cache
 * keeps layouts by structure hash), so a pool is not worth its idle threads.
 *
 * @example
 * ```ts
 * const layout = await layoutInWorker(structureOf(defs.graph, defs.graph.keys));
 * ```
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AssetGraphLayout, AssetGraphNode } from './asset-graph-layout.js';

// From source (tsx, vitest) this module is .ts and so is the worker; from dist both are .js.
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(`./asset-graph-layout-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);

/**
 * Where the worker starts. From source, a one-line module that registers tsx's loader in the
 * worker and then imports the .ts worker: a worker does not inherit the parent's loader hooks,
 * and `--import` in a worker's execArgv is not honoured.
 */
function workerEntry(): URL {
  if (!fromSource) return workerUrl;
  const tsxApi = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const code = `import { register } from ${JSON.stringify(pathToFileURL(tsxApi).href)};
register();
await import(${JSON.stringify(workerUrl.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** The layout of `nodes`, computed in a worker thread. */
export function layoutInWorker(nodes: readonly AssetGraphNode[]): Promise<AssetGraphLayout> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry(), { workerData: nodes });
    let settled = false;
    worker.once('message', (layout: AssetGraphLayout) => {
      settled = true;
      resolve(layout);
      void worker.terminate();
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the asset graph layout worker exited with code ${code}`));
    });
  });
}
