/**
 * Where a gradient boosting fit spends its time, per phase, for `LAKELOOP_GBDT_PROFILE=1` (issue 18):
 * wall time and call count per phase, and for the thread pool the number of tasks (each wakes the
 * workers once) and the time the calling thread waits for the workers after its own part. Off by
 * default: then every hook is a no-op and the fit does not read the clock.
 *
 * @example
 * ```sh
 * LAKELOOP_GBDT_PROFILE=1 node --conditions=lakeloop-source --import tsx bench/ml-train-child.ts --dir /tmp/f --size small --model gbdt
 * ```
 */

/** The phases of a fit. */
export type GbdtPhase =
  | 'setup (arena, kernels, workers)'
  | 'bin edges'
  | 'binning rows'
  | 'scores + gradients'
  | 'root histogram'
  | 'partition + child histogram'
  | 'merge part histograms'
  | 'histogram subtraction'
  | 'merge part histograms + subtraction'
  | 'split finding'
  | 'tree bookkeeping'
  | 'validation';

/** Accumulates wall time per phase; `enabled` false makes it free. */
export class GbdtPhaseProfile {
  readonly enabled: boolean;
  readonly #ms = new Map<string, number>();
  readonly #calls = new Map<string, number>();
  #started = 0;
  /** Tasks run on the pool (each one wakes every worker once). */
  poolTasks = 0;
  /** Time the calling thread waited for the workers after finishing its own part. */
  joinWaitMs = 0;

  constructor(enabled: boolean) {
    this.enabled = enabled;
    if (enabled) this.#started = performance.now();
  }

  /** Whether `LAKELOOP_GBDT_PROFILE` asks for a profile. */
  static fromEnvironment(): GbdtPhaseProfile {
    const value = process.env.LAKELOOP_GBDT_PROFILE ?? '';
    return new GbdtPhaseProfile(value !== '' && value !== '0');
  }

  /** The clock when profiling, else 0 (pass it to {@link add}). */
  now(): number {
    return this.enabled ? performance.now() : 0;
  }

  /** Adds the time since `since` (from {@link now}) to `phase`. */
  add(phase: GbdtPhase, since: number): void {
    if (!this.enabled) return;
    this.#ms.set(phase, (this.#ms.get(phase) ?? 0) + performance.now() - since);
    this.#calls.set(phase, (this.#calls.get(phase) ?? 0) + 1);
  }

  /** Milliseconds accounted to phases so far. */
  accountedMs(): number {
    let sum = 0;
    for (const ms of this.#ms.values()) sum += ms;
    return sum;
  }

  /** Adds to `phase` the time since `since` that no other phase took since `accountedBefore`. */
  addRest(phase: GbdtPhase, since: number, accountedBefore: number): void {
    if (!this.enabled) return;
    const rest = performance.now() - since - (this.accountedMs() - accountedBefore);
    this.#ms.set(phase, (this.#ms.get(phase) ?? 0) + rest);
    this.#calls.set(phase, (this.#calls.get(phase) ?? 0) + 1);
  }

  /** The table: phase, ms, share of the fit, calls; then pool tasks and join waits. */
  format(): string {
    const total = performance.now() - this.#started;
    const rows = [...this.#ms].sort((a, b) => b[1] - a[1]);
    const accounted = rows.reduce((sum, [, ms]) => sum + ms, 0);
    const line = (name: string, ms: number, calls: string): string =>
      `| ${name} | ${ms.toFixed(1)} | ${((100 * ms) / total).toFixed(1)} % | ${calls} |`;
    return [
      '| phase | ms | share | calls |',
      '| --- | ---: | ---: | ---: |',
      ...rows.map(([name, ms]) => line(name, ms, String(this.#calls.get(name) ?? 0))),
      line('other (boosting loop, unaccounted)', total - accounted, ''),
      line('total', total, ''),
      `pool tasks (worker wake-ups): ${this.poolTasks}; main thread waiting for workers after its part: ${this.joinWaitMs.toFixed(1)} ms`,
    ].join('\n');
  }
}
