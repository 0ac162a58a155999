/**
 * The sensor loop: `tick(now)` evaluates every RUNNING sensor whose minimum interval has passed;
 * `evaluate(name)` evaluates one now (a push notification, `lakeloop sensors tick`). Each
 * evaluation is a stored tick (STARTED, then SUCCESS / SKIPPED / FAILURE with the run keys, run
 * ids, skip reason or error); run requests become QUEUED runs exactly once per run key; the cursor
 * is stored only after every request is handled. A failing or hanging `evaluate` (timeout) fails
 * its own tick only: the cursor stays, the next interval retries, other sensors go on. Evaluations
 * of one sensor never overlap; a push during an evaluation queues one more evaluation.
 *
 * @example
 * ```ts
 * const loop = new SensorLoop({ defs, instance });
 * await loop.tick(clock.now());            // evaluates due sensors
 * await loop.evaluate('new_flights');      // evaluates one now, whatever its interval
 * ```
 */
import { describeError, LakeloopError } from '../../errors.js';
import type { Definitions } from '../definitions/definitions.js';
import type { SensorDefinition, SensorResult } from '../definitions/sensor-definition.js';
import { isSensorDefinition } from '../definitions/sensor-definition.js';
import type { Instance } from '../instance/instance.js';
import type { InstigatorState, InstigatorStatus, TickRecord } from '../storage/storage-types.js';
import { launchRunRequest } from './run-request-launch.js';

/** Default time an `evaluate` may take before its tick fails with TIMEOUT. */
export const DEFAULT_SENSOR_EVALUATION_TIMEOUT_MS = 60_000;

/** Options of {@link SensorLoop}. */
export interface SensorLoopOptions {
  defs: Definitions;
  instance: Instance;
  /** Default 60 s. */
  evaluationTimeoutMs?: number;
  /** Called after an evaluation queued runs (the daemon wakes its run queue). Default none. */
  onRunsQueued?: (runIds: readonly string[]) => void;
  /** Called with each finished tick (logging). Default none. */
  onTick?: (tick: TickRecord) => void;
}

/** Options of {@link SensorLoop.evaluate}. */
export interface EvaluateSensorOptions {
  /** Time of the evaluation. Default: the instance clock. */
  now?: number;
  /** Evaluate even when the sensor is STOPPED. Default false (a STOPPED sensor gives no tick). */
  evenIfStopped?: boolean;
}

/** All sensors of the Definitions (the ones made with defineSensor / dataCommitSensor). */
export function sensorsOf(defs: Definitions): SensorDefinition[] {
  return defs.sensors.filter(isSensorDefinition);
}

/** The effective status of a sensor: stored, else its default. */
export function sensorStatus(sensor: SensorDefinition, state: InstigatorState | undefined): InstigatorStatus {
  return state?.status ?? sensor.defaultStatus;
}

/** Evaluates sensors and launches their run requests. */
export class SensorLoop {
  readonly #defs: Definitions;
  readonly #instance: Instance;
  readonly #timeoutMs: number;
  readonly #onRunsQueued: ((runIds: readonly string[]) => void) | undefined;
  readonly #onTick: ((tick: TickRecord) => void) | undefined;
  readonly #sensors: Map<string, SensorDefinition>;
  /** Evaluation in progress per sensor. */
  readonly #running = new Map<string, Promise<TickRecord | undefined>>();
  /** The evaluation queued behind the one in progress, per sensor. */
  readonly #queued = new Map<string, Promise<TickRecord | undefined>>();
  readonly #stopping = new AbortController();
  /** tick() calls in progress (they decide what is due before evaluations start). */
  readonly #ticking = new Set<Promise<TickRecord[]>>();

  constructor(options: SensorLoopOptions) {
    this.#defs = options.defs;
    this.#instance = options.instance;
    this.#timeoutMs = options.evaluationTimeoutMs ?? DEFAULT_SENSOR_EVALUATION_TIMEOUT_MS;
    this.#onRunsQueued = options.onRunsQueued;
    this.#onTick = options.onTick;
    this.#sensors = new Map(sensorsOf(options.defs).map((s) => [s.name, s]));
    for (const sensor of this.#sensors.values()) this.#defs.job(sensor.jobName); // NOT_FOUND naming the jobs
  }

  /** The sensors this loop evaluates. */
  get sensors(): readonly SensorDefinition[] {
    return [...this.#sensors.values()];
  }

  /** The sensor with this name; NOT_FOUND listing the sensors. */
  sensor(name: string): SensorDefinition {
    const sensor = this.#sensors.get(name);
    if (sensor === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown sensor "${name}"; sensors: ${[...this.#sensors.keys()].join(', ') || 'none'}.`,
        { details: { sensor: name } },
      );
    }
    return sensor;
  }

  /** Evaluates every RUNNING sensor that is due at `now`; returns the ticks made. */
  tick(now: number): Promise<TickRecord[]> {
    const ticking = this.#tick(now).finally(() => {
      this.#ticking.delete(ticking);
    });
    this.#ticking.add(ticking);
    return ticking;
  }

  async #tick(now: number): Promise<TickRecord[]> {
    const states = new Map((await this.#instance.schedules.listInstigatorStates()).map((s) => [s.name, s]));
    const due = [...this.#sensors.values()].filter((sensor) => {
      const state = states.get(sensor.name);
      if (
        sensorStatus(sensor, state) !== 'RUNNING' ||
        this.#running.has(sensor.name) ||
        this.#queued.has(sensor.name)
      )
        return false;
      return (
        state?.lastTickAt === undefined || now - state.lastTickAt >= sensor.minimumIntervalSeconds * 1000
      );
    });
    const ticks = await Promise.all(due.map((sensor) => this.evaluate(sensor.name, { now })));
    return ticks.filter((t): t is TickRecord => t !== undefined);
  }

  /**
   * Evaluates one sensor now (whatever its interval); undefined when it is STOPPED (unless
   * `evenIfStopped`). While it is being evaluated, one more evaluation is queued (callers in the
   * meantime share it), so a push is never lost and evaluations of one sensor never overlap.
   */
  evaluate(name: string, options: EvaluateSensorOptions = {}): Promise<TickRecord | undefined> {
    const sensor = this.sensor(name);
    const queued = this.#queued.get(name);
    if (queued !== undefined) return queued;
    const current = this.#running.get(name);
    if (current === undefined) return this.#start(sensor, options);
    const next = current
      .catch(() => undefined)
      .then(() => {
        this.#queued.delete(name);
        return this.#start(sensor, options.evenIfStopped === true ? { evenIfStopped: true } : {});
      });
    this.#queued.set(name, next);
    return next;
  }

  /** Asks for an evaluation without waiting (push notifications); errors end up in the tick. */
  request(name: string): void {
    this.evaluate(name).catch(() => undefined);
  }

  /** Resolves when no evaluation is in progress or queued. */
  async idle(): Promise<void> {
    while (this.#running.size > 0 || this.#queued.size > 0 || this.#ticking.size > 0) {
      await Promise.allSettled([...this.#running.values(), ...this.#queued.values(), ...this.#ticking]);
    }
  }

  /** Aborts evaluations in progress (their ticks fail) and waits for them. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.idle();
  }

  #start(sensor: SensorDefinition, options: EvaluateSensorOptions): Promise<TickRecord | undefined> {
    const promise: Promise<TickRecord | undefined> = this.#evaluateOnce(sensor, options).finally(() => {
      if (this.#running.get(sensor.name) === promise) this.#running.delete(sensor.name);
    });
    this.#running.set(sensor.name, promise);
    return promise;
  }

  async #evaluateOnce(
    sensor: SensorDefinition,
    options: EvaluateSensorOptions,
  ): Promise<TickRecord | undefined> {
    if (this.#stopping.signal.aborted) return undefined;
    const schedules = this.#instance.schedules;
    const now = options.now ?? this.#instance.clock.now();
    const state = await schedules.getInstigatorState(sensor.name);
    if (sensorStatus(sensor, state) !== 'RUNNING' && options.evenIfStopped !== true) return undefined;
    const tick: TickRecord = {
      instigatorName: sensor.name,
      type: 'SENSOR',
      timestamp: now,
      status: 'STARTED',
      runKeys: [],
      runIds: [],
    };
    if (state?.cursor !== undefined) tick.cursor = state.cursor;
    tick.id = await schedules.addTick(tick);
    let cursor = state?.cursor;
    try {
      const result = await this.#callEvaluate(sensor, { cursor, now, lastTickAt: state?.lastTickAt });
      for (const request of result?.runRequests ?? []) {
        const outcome = await launchRunRequest({
          defs: this.#defs,
          instance: this.#instance,
          instigatorName: sensor.name,
          instigatorType: 'SENSOR',
          jobName: sensor.jobName,
          request,
          baseTags: sensor.tags,
        });
        tick.runKeys.push(outcome.runKey);
        if (outcome.created) tick.runIds.push(outcome.runId);
      }
      if (result?.cursor !== undefined) cursor = result.cursor;
      tick.status = tick.runIds.length > 0 ? 'SUCCESS' : 'SKIPPED';
      if (tick.runIds.length === 0) {
        tick.skipReason =
          result?.skipReason ??
          (tick.runKeys.length > 0
            ? `Every run key already launched a run (${tick.runKeys.join(', ')}).`
            : 'No run requested.');
      }
    } catch (error) {
      tick.status = tick.runIds.length > 0 ? 'SUCCESS' : 'FAILURE';
      tick.error = describeError(error);
    }
    if (cursor !== undefined) tick.cursor = cursor;
    const { id, ...update } = tick;
    // An idle sensor repeats the same SKIPPED tick: the storage counts it in the previous one.
    const stored = await schedules.finishTick(id, update);
    // Re-read the state: `lakeloop sensors stop|reset-cursor` may have changed it meanwhile.
    const latest = await schedules.getInstigatorState(sensor.name);
    const cursorChanged = latest?.cursor !== state?.cursor;
    const next: InstigatorState = {
      ...(latest ?? { name: sensor.name, type: 'SENSOR' }),
      lastTickAt: now,
      updatedAt: this.#instance.clock.now(),
    };
    if (!cursorChanged && tick.error === undefined) {
      if (cursor === undefined) delete next.cursor;
      else next.cursor = cursor;
    }
    await schedules.setInstigatorState(next);
    if (tick.runIds.length > 0) this.#onRunsQueued?.(tick.runIds);
    this.#onTick?.(stored);
    return stored;
  }

  async #callEvaluate(
    sensor: SensorDefinition,
    args: { cursor: string | undefined; now: number; lastTickAt: number | undefined },
  ): Promise<SensorResult | undefined> {
    const controller = new AbortController();
    const onStop = (): void => {
      controller.abort(
        new LakeloopError('CANCELED', `Sensor "${sensor.name}" evaluation aborted: the daemon is stopping.`),
      );
    };
    this.#stopping.signal.addEventListener('abort', onStop, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new LakeloopError(
          'TIMEOUT',
          `Sensor "${sensor.name}" evaluation took longer than ${this.#timeoutMs} ms; make evaluate faster or raise the daemon's evaluation timeout.`,
        );
        controller.abort(error);
        reject(error);
      }, this.#timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        'abort',
        () => {
          reject(controller.signal.reason as Error);
        },
        { once: true },
      );
    });
    try {
      return await Promise.race([
        Promise.resolve().then(() =>
          sensor.evaluate({
            sensorName: sensor.name,
            cursor: args.cursor,
            now: args.now,
            lastTickAt: args.lastTickAt,
            resources: this.#defs.resources,
            signal: controller.signal,
          }),
        ),
        timeout,
        aborted,
      ]);
    } finally {
      clearTimeout(timer);
      this.#stopping.signal.removeEventListener('abort', onStop);
    }
  }
}
