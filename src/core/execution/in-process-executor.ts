/**
 * The in-process executor: steps run in the calling process, one at a time by default
 * (`maxConcurrency` > 1 interleaves async steps). Values stay in memory between steps of a run
 * (they are still stored through the IO manager). Run-scoped resources live as long as the
 * session: set up on first use, torn down by `close()`.
 *
 * @example
 * ```ts
 * await materialize(defs, { select: '*', instance, executor: inProcessExecutor() });
 * ```
 */
import type { Executor, ExecutorSession } from './executor.js';
import { RunResources } from './resource-scope.js';
import { executeStep } from './step-execution.js';
import type { ValueCache } from './step-execution.js';

/** Options of {@link inProcessExecutor}. */
export interface InProcessExecutorOptions {
  /** Steps running at once (async interleaving, one thread). Default 1. */
  maxConcurrency?: number;
}

/** Creates the in-process executor. */
export function inProcessExecutor(options: InProcessExecutorOptions = {}): Executor {
  const maxConcurrency = Math.max(1, options.maxConcurrency ?? 1);
  return {
    name: 'in_process',
    open: (context) => {
      const valueCache: ValueCache = new Map();
      const resources = new RunResources({
        runId: context.runId,
        instanceHome: context.instanceHome,
        ...(context.log === undefined ? {} : { log: context.log }),
      });
      const session: ExecutorSession = {
        maxConcurrency,
        runStep: (task, channel) =>
          executeStep({
            defs: context.defs,
            task,
            ioManager: context.ioManager,
            channel,
            instanceHome: context.instanceHome,
            valueCache,
            resources,
          }),
        close: async () => {
          valueCache.clear();
          await resources.close();
        },
      };
      return Promise.resolve(session);
    },
  };
}
