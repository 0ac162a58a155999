import { describe, expect, it } from 'vitest';
import { gbdtKernelModule } from '../../src/ml/gbdt-wasm-kernels.js';
import { KernelThreadPool, MAX_POOL_THREADS } from '../../src/ml/kernel-thread-pool.js';
import { allocateArena } from '../../src/ml/training-arena.js';

function sharedArena() {
  return allocateArena({ shared: true, sizes: { binned: 64, rows: 64 } });
}

/** Kernels over the arena's binned rows and row list (the other regions unused). */
function layoutOf(arena: ReturnType<typeof sharedArena>) {
  return {
    columns: 1,
    binned: arena.regions.binned.offset,
    binnedColumns: 0,
    binnedRows: 0,
    gradHess: 0,
    rows: arena.regions.rows.offset,
    raw: 0,
    labels: 0,
    staging: 0,
    binEdges: 0,
    thresholdCounts: 0,
    pages: arena.pages,
    shared: true,
  };
}

describe('kernel thread pool', () => {
  it('runs a task on every thread and joins', async () => {
    const arena = sharedArena();
    const kernels = gbdtKernelModule(layoutOf(arena));
    const base = { memory: arena.memory, regions: arena.regions, columns: 1, histogramBytes: 0 };
    await using pool = await KernelThreadPool.start({ threads: 2, shared: { ...base, kernels } });
    const mainShares: [number, number][] = [];
    pool.run({ task: 'gradients', start: 0, count: 0 }, (from, to) => mainShares.push([from, to]));
    expect(mainShares).toEqual([[0, 0]]);
  });

  it('runs at most MAX_POOL_THREADS threads however many are asked for (the control words hold that many)', async () => {
    const arena = sharedArena();
    const kernels = gbdtKernelModule(layoutOf(arena));
    const base = { memory: arena.memory, regions: arena.regions, columns: 1, histogramBytes: 0 };
    await using pool = await KernelThreadPool.start({
      threads: MAX_POOL_THREADS + 4,
      shared: { ...base, kernels },
    });
    expect(pool.threads).toBe(MAX_POOL_THREADS);
    const mainShares: [number, number][] = [];
    pool.run({ task: 'gradients', start: 0, count: 160 }, (from, to) => mainShares.push([from, to]));
    expect(mainShares).toEqual([[0, 10]]);
  });

  it('reports a worker that failed, with its error, instead of waiting for it', async () => {
    const arena = sharedArena();
    // Bytes that are not a WebAssembly module: every worker fails as it starts.
    const broken = new Uint8Array([0, 1, 2, 3]);
    const base = { memory: arena.memory, regions: arena.regions, columns: 1, histogramBytes: 0 };
    const pool = await KernelThreadPool.start({ threads: 2, shared: { ...base, kernels: broken } });
    try {
      let error: unknown;
      try {
        pool.run({ task: 'histogramAll', start: 0, count: 10 }, () => undefined);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ code: 'INTERNAL' });
      expect((error as Error).message).toMatch(/worker thread 1 failed \(.*CompileError/);
      expect(() => {
        pool.run({ task: 'histogramAll', start: 0, count: 10 }, () => undefined);
      }).toThrow(/failed earlier/);
    } finally {
      await pool.close();
    }
  });
});
