/**
 * One `WebAssembly.Memory` holding every buffer a training run shares between its threads and its
 * WebAssembly kernels (binned matrix, gradients, row indices, histograms ...), carved into named,
 * 64-byte-aligned regions. The memory is shared (a SharedArrayBuffer underneath) when workers take
 * part; typed-array views over a region are ordinary typed arrays for JavaScript code.
 *
 * @example
 * ```ts
 * const arena = allocateArena({ sizes: { gradients: n * 4, hessians: n * 4 }, shared: true });
 * const gradients = arenaView(arena, 'gradients', Float32Array);
 * ```
 */
import { LakeloopError } from '../errors.js';
import { TrainingDataError } from './tabular-data.js';

/** Where a region sits in the memory, in bytes. */
export interface ArenaRegion {
  offset: number;
  bytes: number;
}

/** A memory and its regions; structured-cloneable into worker threads when shared. */
export interface TrainingArena<Name extends string = string> {
  memory: WebAssembly.Memory;
  /** Size in 64 KiB pages. */
  pages: number;
  shared: boolean;
  regions: Record<Name, ArenaRegion>;
}

const PAGE_BYTES = 65_536;
/** WebAssembly (32-bit) memories hold at most 65,536 pages = 4 GiB. */
const MAX_PAGES = 65_536;
const ALIGN = 64;

/** Options of {@link allocateArena}. */
export interface AllocateArenaOptions<Name extends string> {
  /** Bytes per region. */
  sizes: Record<Name, number>;
  /** Share the memory with worker threads. */
  shared: boolean;
}

/** Lays the regions out one after another and allocates the memory (zero-filled). */
export function allocateArena<Name extends string>(options: AllocateArenaOptions<Name>): TrainingArena<Name> {
  // Region 0 starts at ALIGN so that no region has address 0.
  let offset = ALIGN;
  const regions = {} as Record<Name, ArenaRegion>;
  for (const name of Object.keys(options.sizes) as Name[]) {
    const bytes = options.sizes[name];
    regions[name] = { offset, bytes };
    offset = Math.ceil((offset + bytes) / ALIGN) * ALIGN;
  }
  const pages = Math.ceil(offset / PAGE_BYTES);
  if (pages > MAX_PAGES) {
    throw new TrainingDataError(
      'TOO_LARGE',
      `Training needs ${(offset / 2 ** 30).toFixed(1)} GiB of buffers, more than WebAssembly's 4 GiB: train on fewer rows (sample them) or fewer columns.`,
      { bytes: offset },
    );
  }
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: options.shared });
  } catch (error) {
    throw new LakeloopError(
      'UNAVAILABLE',
      `Could not allocate ${(offset / 2 ** 20).toFixed(0)} MiB for training buffers: free memory or train on fewer rows.`,
      { cause: error },
    );
  }
  return { memory, pages, shared: options.shared, regions };
}

/** A typed array over a whole region. */
export function arenaView<Name extends string, T>(
  arena: TrainingArena<Name>,
  name: Name,
  type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
): T {
  const region = arena.regions[name];
  return new type(arena.memory.buffer, region.offset, region.bytes / type.BYTES_PER_ELEMENT);
}
