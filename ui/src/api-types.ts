/**
 * The shapes of the API answers the UI reads (docs/api.md), trimmed to the fields it shows. Kept
 * here rather than imported from src/ so that the UI's build never pulls server modules in.
 */

/** `GET /api/health`. */
export interface HealthAnswer {
  status: string;
  daemon: { healthy: boolean };
}

/** One sensor of `GET /api/sensors`. */
export interface SensorSummary {
  name: string;
  jobName: string;
  status: 'RUNNING' | 'STOPPED';
  cursor?: string;
  lastTickAt?: number;
  lastTick?: { status: string; timestamp: number; runIds: string[]; skipReason?: string; error?: unknown };
}

/** `GET /api/sensors`. */
export interface SensorsAnswer {
  sensors: SensorSummary[];
}

/** One registered model of `GET /api/models`. */
export interface RegisteredModel {
  name: string;
  aliases: Record<string, string>;
  latestVersion?: string;
}

/** `GET /api/models` (one page). */
export interface ModelsAnswer {
  results: RegisteredModel[];
  hasMore: boolean;
  nextOffset: string;
}

/** One run of `GET /api/runs`. */
export interface RunRecord {
  runId: string;
  jobName: string;
  status: string;
  partition?: string;
  tags: Record<string, string>;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
}

/** `GET /api/runs`. */
export interface RunsAnswer {
  runs: RunRecord[];
  hasMore: boolean;
  nextOffset: string;
}

/** `GET /api/models/:name/versions/:version`: the version with its training run's latest metrics. */
export interface ModelVersionAnswer {
  version: { name: string; version: string; metrics: Record<string, number> | null };
}
