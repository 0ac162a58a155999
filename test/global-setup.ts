/**
 * Vitest global setup: starts the real services the integration tests use (filled in by the
 * tracking area: the MLflow tracking server) and stops them afterwards.
 */
export function setup(): void {
  // no services yet
}
