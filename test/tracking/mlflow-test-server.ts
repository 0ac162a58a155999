/**
 * How tests reach the MLflow server the global setup started: `describeWithMlflow` runs a suite
 * against it, skips it locally when there is no server, and FAILS it when `CI=true` (a missing
 * server must never pass silently in CI).
 */
import { describe, inject, it } from 'vitest';

/** Runs `body` with the server's URI, or reports why it cannot. */
export function describeWithMlflow(name: string, body: (uri: string) => void): void {
  const uri = inject('mlflowUri');
  if (uri !== '') {
    describe(name, () => {
      body(uri);
    });
    return;
  }
  const reason = inject('mlflowUnavailable');
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has a real MLflow server to test against', () => {
        throw new Error(reason);
      });
    });
  } else {
    describe.skip(`${name} (no MLflow server: ${reason})`, () => {
      it('needs the MLflow server', () => undefined);
    });
  }
}
