/**
 * Follows a registry alias for the model server: when `name@alias` points at another version, the
 * version is loaded, warmed and checked ({@link checkServedModel}) and only then swapped in; a
 * version that fails to load or to check is not, and the failure is kept (`lastSwapError`) and
 * logged. Moves are seen by a poll of the alias (cheap on the embedded SQLite registry; a few
 * seconds apart for an MLflow server), and at once when the registry object pushes them
 * (`onAliasMoved`, the embedded registry used in this process). Swaps run one at a time; moves
 * made meanwhile coalesce into one swap to the newest version.
 *
 * @example
 * ```ts
 * const follower = new AliasFollower({ registry, name: 'flight-delays', alias: 'champion', slot, load, intervalMs: 500 });
 * follower.start();
 * ```
 */
import { describeError } from '../errors.js';
import type { ModelRegistry } from '../tracking/model-registry.js';
import { checkServedModel } from './model-check.js';
import type { ModelSlot } from './model-slot.js';
import type { ServedModel } from './served-model.js';

/** A version that could not be swapped in. */
export interface SwapError {
  version: string;
  message: string;
  /** Epoch ms. */
  at: number;
}

/** Where the follower reports what it does (pino fits). */
export interface ServingLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Options of {@link AliasFollower}. */
export interface AliasFollowerOptions {
  registry: ModelRegistry;
  name: string;
  alias: string;
  slot: ModelSlot;
  /** Loads a version (not yet checked). */
  load: (version: string) => Promise<ServedModel>;
  /** The alias's version the slot's model was loaded for. */
  initialVersion: string;
  /** Poll interval. */
  intervalMs: number;
  /** Default: silent. */
  logger?: ServingLogger;
  /** Called after each swap (tests, cluster workers). */
  onSwap?: (model: ServedModel) => void;
  /** Default `Date.now`. */
  now?: () => number;
}

/** Follows `name@alias` into a {@link ModelSlot} (see the module comment). */
export class AliasFollower {
  readonly #options: AliasFollowerOptions;
  /** The version the alias pointed at when last read. */
  #aliasVersion: string;
  #lastSwapError: SwapError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #checking: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: AliasFollowerOptions) {
    this.#options = options;
    this.#aliasVersion = options.initialVersion;
  }

  /** The version the alias points at (as last read). */
  get aliasVersion(): string {
    return this.#aliasVersion;
  }

  /** The last version that failed to load or check, until one swaps in. */
  get lastSwapError(): SwapError | undefined {
    return this.#lastSwapError;
  }

  /** Starts polling (and listening, when the registry pushes moves). */
  start(): void {
    const { registry, name, alias } = this.#options;
    this.#unsubscribe = registry.onAliasMoved?.((move) => {
      if (move.name === name && move.alias === alias) void this.check();
    });
    this.#schedule();
  }

  /** Reads the alias now and swaps when it moved; resolves when done (concurrent calls coalesce). */
  check(): Promise<void> {
    if (this.#checking !== undefined) {
      this.#again = true;
      return this.#checking;
    }
    this.#checking = (async () => {
      do {
        this.#again = false;
        await this.#checkOnce();
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by a check() call during the await
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /** Stops following; resolves after a swap in progress ends. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
    await this.#checking;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.check().finally(() => {
        this.#schedule();
      });
    }, this.#options.intervalMs);
  }

  async #checkOnce(): Promise<void> {
    const { registry, name, alias, logger } = this.#options;
    let version: string;
    try {
      version = (await registry.getModelVersionByAlias({ name, alias })).version;
    } catch (error) {
      // The alias deleted or the registry unreachable: keep serving what is loaded.
      logger?.warn(
        { name, alias, error: describeError(error) },
        `Cannot read ${name}@${alias}; serving the loaded version.`,
      );
      return;
    }
    if (version === this.#aliasVersion || this.#stopped) return;
    const from = this.#aliasVersion;
    this.#aliasVersion = version;
    const { slot } = this.#options;
    if (slot.current.info.version === version) {
      // E.g. the alias was moved back to what a rollback of this server already serves.
      slot.followingAgain();
      this.#lastSwapError = undefined;
      return;
    }
    if (slot.previous?.info.version === version) {
      // Back to the version still loaded for rollback (it passed its check when it came in).
      slot.swapBack();
      this.#lastSwapError = undefined;
      this.#options.logger?.info(
        { name, alias, version, aliasFrom: from },
        `${name}@${alias}: now serving v${version} again (kept loaded)`,
      );
      this.#options.onSwap?.(slot.current);
      return;
    }
    await this.#swapTo(version, from);
  }

  async #swapTo(version: string, from: string): Promise<void> {
    const { name, alias, logger, slot } = this.#options;
    const now = this.#options.now ?? Date.now;
    const started = now();
    let model: ServedModel | undefined;
    try {
      model = await this.#options.load(version);
      await checkServedModel(model);
    } catch (error) {
      await model?.retire();
      this.#lastSwapError = { version, message: describeError(error), at: now() };
      logger?.error(
        { name, alias, version, error: this.#lastSwapError.message },
        `${name}@${alias} moved to v${version}, which is NOT served: ${this.#lastSwapError.message}`,
      );
      return;
    }
    if (this.#stopped) {
      await model.retire();
      return;
    }
    const previous = slot.current.info.version;
    void slot.swapIn(model);
    this.#lastSwapError = undefined;
    logger?.info(
      { name, alias, version, previous, aliasFrom: from, ms: now() - started },
      `${name}@${alias}: now serving v${version} (was v${previous})`,
    );
    this.#options.onSwap?.(model);
  }
}
