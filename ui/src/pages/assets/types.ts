/** The answers of the asset routes the Assets pages read (docs/api.md, "Assets"). */

/** FRESH / STALE / MISSING. */
export type AssetStatusValue = 'FRESH' | 'STALE' | 'MISSING';

/** A latest materialization. */
export interface LastMaterialization {
  runId: string;
  timestamp: number;
  dataVersion: string;
  codeVersion?: string;
}

/** One status row of `GET /api/assets` (per partition for a partitioned asset). */
export interface AssetStatusRow {
  assetKey: string;
  partition?: string;
  status: AssetStatusValue;
  reasons: { kind: string }[];
  lastMaterialization?: LastMaterialization;
}

/** One asset of `GET /api/assets`. */
export interface CatalogAsset {
  key: string;
  group: string;
  description: string | null;
  deps: string[];
  partitioned: boolean;
  codeVersion: string | null;
  checks: string[];
  statuses: AssetStatusRow[];
}

/** `GET /api/assets/graph`. */
export interface AssetGraphAnswer {
  hash: string;
  width: number;
  height: number;
  nodes: {
    key: string;
    group: string;
    x: number;
    y: number;
    width: number;
    height: number;
    status: AssetStatusValue;
    reasons: string[];
    partitions?: Record<AssetStatusValue, number>;
  }[];
  edges: { from: string; to: string }[];
  groups: { group: string; x: number; y: number; width: number; height: number }[];
}

/** `GET /api/assets/:key`. */
export interface AssetAnswer {
  asset: {
    key: string;
    group: string;
    description: string | null;
    deps: string[];
    dependents: string[];
    codeVersion: string | null;
    partitioned: boolean;
    checks: { name: string; blocking: boolean }[];
  };
  status:
    | { status: AssetStatusValue; reasons: string[]; lastMaterialization: LastMaterialization | null }
    | { partitions: Record<AssetStatusValue, number> };
}

/** One row of `GET /api/assets/:key/materializations`. */
export interface MaterializationRow {
  eventId: number;
  runId: string;
  timestamp: number;
  partition: string | null;
  dataVersion: string | null;
  codeVersion: string | null;
  metadata: Record<string, unknown>;
}

/** One row of `GET /api/assets/:key/checks`. */
export interface CheckEvaluationRow {
  eventId: number;
  runId: string;
  timestamp: number;
  checkName: string;
  partition: string | null;
  passed: boolean;
  severity: 'ERROR' | 'WARN';
  blocking: boolean;
  metadata: Record<string, unknown>;
}

/** One row of `GET /api/assets/:key/partitions`. */
export interface PartitionRow {
  partition: string;
  status: AssetStatusValue;
  reasons: string[];
  lastMaterialization: LastMaterialization | null;
}
