/** The tracking answers the Experiments page reads (docs/api.md, "Tracking"), trimmed to what it shows. */

/** One experiment of `GET /api/experiments`. */
export interface Experiment {
  experimentId: string;
  name: string;
  lifecycleStage: string;
  creationTime?: number;
}

/** A training run (MLflow run) of `GET /api/training-runs` and `GET /api/training-runs/:id`. */
export interface TrainingRun {
  info: {
    runId: string;
    experimentId: string;
    runName: string;
    status: string;
    startTime: number;
    endTime?: number;
  };
  /** The latest value of each metric ("NaN", "Infinity" as strings). */
  metrics: Record<string, number | string>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

/** `GET /api/training-runs/:id`. */
export interface TrainingRunAnswer {
  run: TrainingRun;
}

/** One point of a metric history. */
export interface MetricPoint {
  step: number;
  value: number | string;
  timestamp: number;
}

/** `GET /api/training-runs/:id/metrics/:key`: the history, downsampled on the server. */
export interface MetricHistory {
  key: string;
  points: MetricPoint[];
  totalPoints: number;
  downsampled: boolean;
}
