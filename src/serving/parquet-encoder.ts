/**
 * Encodes logged predictions as Parquet in a worker thread (DuckDB there), so the server's event
 * loop only copies typed arrays. Jobs run one at a time in the worker, in order. Columns of a
 * file: `served_at` (TIMESTAMP), `model_name`, `model_version`, one FLOAT per feature (NULL =
 * missing), `prediction` (DOUBLE).
 *
 * @example
 * ```ts
 * const encoder = new ParquetEncoder();
 * const bytes = await encoder.encode({ modelName, modelVersion, featureNames, matrix, predictions, servedAtMs, rows });
 * await encoder.close();
 * ```
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LakeloopError } from '../errors.js';

/** One file's rows. */
export interface EncodeInput {
  modelName: string;
  modelVersion: string;
  featureNames: readonly string[];
  /** Row-major, `rows * featureNames.length` values (NaN = missing). */
  matrix: Float32Array;
  predictions: Float64Array;
  /** Epoch ms of each row's request. */
  servedAtMs: Float64Array;
  rows: number;
}

/** A job as the worker receives it. */
export interface EncodeJob extends EncodeInput {
  id: number;
}

/** The worker's answer. */
export type EncodeResult =
  { id: number; bytes: Uint8Array; error?: undefined } | { id: number; error: string };

// From source (tsx, vitest) this module is .ts and so is the worker; from dist both are .js.
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(`./parquet-encoder-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);

/** Where the worker starts: from source, through tsx's loader (a worker does not inherit it). */
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

/** A Parquet encoder on its own thread (see the module comment). */
export class ParquetEncoder {
  readonly #worker: Worker;
  readonly #pending = new Map<
    number,
    { resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void }
  >();
  #next = 0;
  #closed = false;

  constructor() {
    this.#worker = new Worker(workerEntry());
    // The server's lifetime is its HTTP socket's: an idle encoder must not keep the process alive.
    this.#worker.unref();
    this.#worker.on('message', (result: EncodeResult) => {
      const pending = this.#pending.get(result.id);
      this.#pending.delete(result.id);
      if (this.#pending.size === 0 && !this.#closed) this.#worker.unref();
      if (result.error === undefined) pending?.resolve(result.bytes);
      else pending?.reject(new LakeloopError('INTERNAL', `Parquet encoding failed: ${result.error}`));
    });
    this.#worker.on('error', (error) => {
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    });
  }

  /** The Parquet bytes of `input`. */
  encode(input: EncodeInput): Promise<Uint8Array> {
    if (this.#closed)
      return Promise.reject(new LakeloopError('PRECONDITION_FAILED', 'The Parquet encoder is closed.'));
    const id = this.#next++;
    // Referenced while a job runs (the final flush happens after the HTTP server closed).
    this.#worker.ref();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...input, featureNames: [...input.featureNames], id } satisfies EncodeJob, [
        input.matrix.buffer as ArrayBuffer,
        input.predictions.buffer as ArrayBuffer,
        input.servedAtMs.buffer as ArrayBuffer,
      ]);
    });
  }

  /** Stops the worker once its jobs are done. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const exited = new Promise<void>((resolve) =>
      this.#worker.once('exit', () => {
        resolve();
      }),
    );
    // Referenced again: waiting for its last jobs must keep this process alive.
    this.#worker.ref();
    this.#worker.postMessage('close');
    await exited;
  }
}
