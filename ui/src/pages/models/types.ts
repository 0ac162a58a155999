/** The model registry answers the Models page reads (docs/api.md, "Model registry"), trimmed to what it shows. */

/** A registered model of `GET /api/models` and `GET /api/models/:name`. */
export interface RegisteredModel {
  name: string;
  description?: string;
  aliases: Record<string, string>;
  latestVersion?: string;
  creationTimestamp?: number;
  lastUpdatedTimestamp?: number;
}

/** `GET /api/models/:name`. */
export interface ModelAnswer {
  model: RegisteredModel;
}

/** A version of `GET /api/models/:name/versions` and `…/versions/:version`, with its training run's metrics. */
export interface ModelVersion {
  name: string;
  version: string;
  runId?: string;
  description?: string;
  status?: string;
  aliases: string[];
  tags: Record<string, string>;
  creationTimestamp: number;
  /** null: the tracking store has no such run (or the server no tracking store). */
  metrics: Record<string, number | string> | null;
  params: Record<string, string> | null;
  trainingRun: { runId: string; status: string; runName: string } | null;
}

/** `GET /api/models/:name/versions/:version`. */
export interface ModelVersionAnswer {
  version: ModelVersion;
}

/** One move of an alias (`from` null: the alias was new; `to` null: it was deleted). */
export interface AliasMove {
  alias: string;
  from: string | null;
  to: string | null;
  when: string;
  timestamp: number;
  by: string;
  reason: string;
}

/** `GET /api/models/:name/history`. */
export interface AliasHistoryAnswer {
  name: string;
  moves: AliasMove[];
}

/** `POST /api/models/:name/aliases/:alias`. */
export interface PromoteAnswer {
  from: string | null;
  to: string;
  moved: boolean;
}

/** `POST /api/models/:name/aliases/:alias/rollback`. */
export interface RollbackAnswer {
  alias: string;
  from: string;
  to: string;
  reason?: string;
  by: string;
}
