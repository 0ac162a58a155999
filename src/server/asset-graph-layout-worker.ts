/**
 * The worker thread of asset-graph-layout-thread.ts: lays out the structure it was given as
 * `workerData` and posts the layout back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { layoutAssetGraph } from './asset-graph-layout.js';
import type { AssetGraphNode } from './asset-graph-layout.js';

parentPort?.postMessage(layoutAssetGraph(workerData as AssetGraphNode[]));
