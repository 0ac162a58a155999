/** The lineage and why answers (docs/api.md, "Lineage and why"), trimmed to what the page shows. */

/** Node kinds, in chain order (the graph's columns, left to right). */
export const NODE_KINDS = [
  'data_commit',
  'sensor_tick',
  'pipeline_run',
  'training_run',
  'model_version',
  'gate',
  'alias_move',
] as const;

/** A node's kind. */
export type NodeKind = (typeof NODE_KINDS)[number];

/** One node: `<kind>:<key>`, its label and what the loop recorded about it. */
export interface LineageNode {
  id: string;
  kind: NodeKind;
  label: string;
  data: Record<string, unknown>;
}

/** One edge (`evaluated`, `launched`, `logged`, `registered`, `decided`, …). */
export interface LineageEdge {
  from: string;
  to: string;
  relation: string;
}

/** `GET /api/lineage`. */
export interface LineageAnswer {
  focus: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
  notes: string[];
}

/** One check evaluation of a pipeline run. */
export interface CheckEvaluation {
  assetKey: string;
  checkName: string;
  passed: boolean;
  blocking: boolean;
  severity?: string;
  rule?: string;
  description?: string;
  metadata?: Record<string, unknown>;
  eventId?: number;
}

/** A side of the comparison: the version judged, or the champion it was judged against. */
export interface WhySide {
  version: string;
  runId?: string;
  pipelineRunId?: string;
  dataCommit?: { repository?: string; commitId: string };
  createdAt?: number;
}

/** A count and bytes of a diff summary. */
export interface CountBytes {
  count: number;
  bytes: number;
}

/** One prefix of a data diff summary. */
export interface DiffSummaryRow {
  prefix: string;
  added: CountBytes;
  removed: CountBytes;
  changed: CountBytes;
  conflicts: number;
}

/** The data diff between the two versions' commits, or why there is none. */
export type WhyData =
  | {
      available: true;
      repository: string;
      from: string;
      to: string;
      truncated: boolean;
      summary: { rows: DiffSummaryRow[]; total: DiffSummaryRow };
    }
  | { available: false; reason: string };

/** An alias move. */
export interface Move {
  fromVersion: string | null;
  toVersion: string | null;
  timestamp: number;
  reason: string;
  by: string;
}

/** `GET /api/models/:name/versions/:version/why`. */
export interface WhyAnswer {
  name: string;
  alias: string;
  outcome: 'promoted' | 'refused' | 'not_promoted';
  summary: string;
  challenger: WhySide;
  champion: (WhySide & { source: 'replaced_by_promotion' | 'alias_at_registration' }) | null;
  decision: { checks: CheckEvaluation[]; decidedBy: CheckEvaluation[]; move: Move | null };
  data: WhyData;
  code: { key: string; champion: string | null; challenger: string | null; changed: boolean | null }[];
  params: { key: string; champion: string | null; challenger: string | null }[];
  metrics: {
    key: string;
    champion: number | string | null;
    challenger: number | string | null;
    delta: number | null;
  }[];
}
