/** Automation: sensors and schedules with their ticks. */
import type { PageProps } from '../page-props.js';

/** The page (not built yet). */
export function AutomationPage({ path }: PageProps) {
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Automation</h2>
      <p className="muted">
        Not built yet: <span className="mono">{path}</span>
      </p>
    </section>
  );
}
