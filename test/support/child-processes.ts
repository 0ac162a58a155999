/**
 * Small helpers of the tests and benchmarks that drive other processes (`lakeloop worker`,
 * `lakeloop daemon`, servers): stop one and wait for its exit, and wait for a condition that
 * another process brings about (a file it writes, a row it stores) with a bounded poll.
 */
import type { ChildProcess } from 'node:child_process';

/** Sends SIGTERM (unless the child already exited) and resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up (throw) after this long. Default 60 s. */
  timeoutMs?: number;
  /** How often to look. Default 20 ms. */
  pollMs?: number;
}

/**
 * Polls `condition` until it holds; throws when `timeoutMs` passes. Other processes give no event
 * to wait for, so this is a bounded poll on a real condition, never a fixed sleep.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 20));
  }
}
