/**
 * The served version and the one before it. A request leases the current version for its whole
 * life (`lease` → `release`), so a swap is one assignment: requests that started on the old
 * version finish on it, new ones start on the new one, and a retired version releases its
 * sessions when its last request is done. The previous version stays loaded for `rollback`.
 *
 * @example
 * ```ts
 * const slot = new ModelSlot(v1);
 * const model = slot.lease();
 * try { await model.predict(matrix, rows); } finally { model.release(); }
 * await slot.swapIn(v2); // v1 becomes the previous version
 * slot.rollback(); // v1 serves again, v2 is kept as previous
 * ```
 */
import { LakeloopError } from '../errors.js';
import type { ServedModel } from './served-model.js';

/** Holds the current and the previous {@link ServedModel}. */
export class ModelSlot {
  #current: ServedModel;
  #previous: ServedModel | undefined;
  #closed = false;
  #rolledBack = false;

  constructor(initial: ServedModel) {
    this.#current = initial;
  }

  /** True after {@link rollback}, until the next swap. */
  get rolledBack(): boolean {
    return this.#rolledBack;
  }

  /** The version new requests get. */
  get current(): ServedModel {
    return this.#current;
  }

  /** The version before it (what `rollback` serves), if any. */
  get previous(): ServedModel | undefined {
    return this.#previous;
  }

  /** The current version, counted in; call `release()` on it when the request is done. */
  lease(): ServedModel {
    if (this.#closed)
      throw new LakeloopError('UNAVAILABLE', 'The model server is stopping; retry on another instance.');
    const model = this.#current;
    model.acquire();
    return model;
  }

  /**
   * Serves `model` from now on; the current version becomes the previous one, and the one before
   * is retired (released once its in-flight requests are done).
   */
  swapIn(model: ServedModel): Promise<void> {
    const retired = this.#previous;
    this.#previous = this.#current;
    this.#current = model;
    this.#rolledBack = false;
    return retired === undefined || retired === model ? Promise.resolve() : retired.retire();
  }

  /** Serves the previous version again (the current one becomes the previous); PRECONDITION_FAILED when there is none. */
  rollback(): ServedModel {
    const previous = this.#previous;
    if (previous === undefined) {
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        `No previous version to roll back to: ${this.#current.info.name} v${this.#current.info.version} is the only one this server has loaded.`,
      );
    }
    this.#previous = this.#current;
    this.#current = previous;
    this.#rolledBack = true;
    return previous;
  }

  /**
   * The alias moved back to the previous version: serve it again without reloading (the current
   * one becomes the previous). Not a rollback: the server follows the alias.
   */
  swapBack(): void {
    this.rollback();
    this.#rolledBack = false;
  }

  /** The alias points at the served version again: no longer rolled back. */
  followingAgain(): void {
    this.#rolledBack = false;
  }

  /** Stops leasing and releases both versions once their requests are done. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#current.retire(), this.#previous?.retire()]);
  }
}
