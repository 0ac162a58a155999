/**
 * A reader that goes away (`lakeloop materialize … | head`) must not crash the CLI with an
 * unhandled EPIPE and leave its run STARTED. On the first EPIPE of stdout, output stops and the
 * command is asked to end as on Ctrl-C (materialize cancels its run, the daemon stops cleanly);
 * commands without a SIGINT handler just finish, their output discarded.
 *
 * @example
 * ```ts
 * endQuietlyOnBrokenPipe(process.stdout);
 * ```
 */

/** Installs the handler on `stream` (stdout). */
export function endQuietlyOnBrokenPipe(stream: NodeJS.WriteStream): void {
  let broken = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (broken) return; // later writes to the closed pipe fail too
    if (error.code !== 'EPIPE') throw error;
    broken = true;
    if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
  });
}
