/**
 * Asset status from provenance: for every asset (and every partition of a partitioned one),
 * MISSING (never materialized), STALE with reasons (its code version changed; an upstream has a
 * newer data version than the one it was computed from; an upstream is itself stale or missing),
 * or FRESH.
 *
 * @example
 * ```ts
 * for (const s of await assetStatuses(defs, instance)) console.log(s.assetKey, s.partition, s.status, s.reasons);
 * ```
 */
import type { MaterializationData, StoredEvent } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import type { Instance } from '../instance/instance.js';

/** FRESH, STALE or MISSING. */
export type AssetStatusValue = 'FRESH' | 'STALE' | 'MISSING';

/** Why an asset is stale. */
export type StaleReason =
  | { kind: 'CODE_VERSION_CHANGED'; from: string | undefined; to: string | undefined }
  | { kind: 'UPSTREAM_DATA_CHANGED'; upstream: string }
  | { kind: 'UPSTREAM_STALE'; upstream: string }
  | { kind: 'UPSTREAM_MISSING'; upstream: string };

/** The status of one asset (partition). */
export interface AssetStatus {
  assetKey: string;
  partition?: string;
  status: AssetStatusValue;
  reasons: StaleReason[];
  /** The latest materialization, when there is one. */
  lastMaterialization?: {
    runId: string;
    timestamp: number;
    dataVersion: string;
    codeVersion?: string;
  };
}

/** Options of {@link assetStatuses}. */
export interface AssetStatusOptions {
  /** Only these assets (their upstream are still read). Default all. */
  keys?: readonly string[];
}

/** A human-readable reason. */
export function describeStaleReason(reason: StaleReason): string {
  switch (reason.kind) {
    case 'CODE_VERSION_CHANGED':
      return `code version changed (${reason.from ?? 'none'} -> ${reason.to ?? 'none'})`;
    case 'UPSTREAM_DATA_CHANGED':
      return `upstream ${reason.upstream} has a newer data version`;
    case 'UPSTREAM_STALE':
      return `upstream ${reason.upstream} is stale`;
    case 'UPSTREAM_MISSING':
      return `upstream ${reason.upstream} is missing`;
  }
}

const versionKey = (assetKey: string, partition: string | undefined): string =>
  partition === undefined ? assetKey : `${assetKey}[${partition}]`;

/** Computes the status of every asset (per partition) of `defs` from the instance's event log. */
export async function assetStatuses(
  defs: Definitions,
  instance: Instance,
  options: AssetStatusOptions = {},
): Promise<AssetStatus[]> {
  const latest = new Map<string, { event: StoredEvent; m: MaterializationData }>();
  for (const entry of await instance.events.latestMaterializations(defs.graph.keys)) {
    const m = entry.event.materialization;
    if (m !== undefined)
      latest.set(versionKey(entry.assetKey, entry.partition === '' ? undefined : entry.partition), {
        event: entry.event,
        m,
      });
  }
  const now = instance.clock.now();
  const byKey = new Map<string, AssetStatus>();
  const statusOf = (assetKey: string, partition: string | undefined): AssetStatus => {
    const key = versionKey(assetKey, partition);
    const known = byKey.get(key);
    if (known !== undefined) return known;
    const asset = defs.asset(assetKey);
    const found = latest.get(key);
    const status: AssetStatus = { assetKey, status: 'MISSING', reasons: [] };
    if (partition !== undefined) status.partition = partition;
    byKey.set(key, status);
    if (found === undefined) return status;
    const { m, event } = found;
    status.lastMaterialization = {
      runId: event.runId,
      timestamp: event.timestamp,
      dataVersion: m.dataVersion,
    };
    if (m.codeVersion !== undefined) status.lastMaterialization.codeVersion = m.codeVersion;
    if (m.codeVersion !== asset.codeVersion) {
      status.reasons.push({ kind: 'CODE_VERSION_CHANGED', from: m.codeVersion, to: asset.codeVersion });
    }
    for (const dep of asset.deps) {
      const upstream = defs.asset(dep);
      const upstreamPartitions =
        upstream.partitions === undefined
          ? [undefined]
          : asset.partitions === undefined
            ? [...latest.values()].filter((l) => l.m.assetKey === dep).map((l) => l.m.partition)
            : [partition];
      if (upstreamPartitions.length === 0) status.reasons.push({ kind: 'UPSTREAM_MISSING', upstream: dep });
      const recorded = Object.keys(m.inputDataVersions).filter((k) => k === dep || k.startsWith(`${dep}[`));
      const current = new Set(upstreamPartitions.map((p) => versionKey(dep, p)));
      let changed = recorded.some((k) => !current.has(k));
      for (const p of upstreamPartitions) {
        const up = statusOf(dep, p);
        const label = versionKey(dep, p);
        if (up.status === 'MISSING') status.reasons.push({ kind: 'UPSTREAM_MISSING', upstream: label });
        else if (up.lastMaterialization?.dataVersion !== m.inputDataVersions[label]) changed = true;
        else if (up.status === 'STALE') status.reasons.push({ kind: 'UPSTREAM_STALE', upstream: label });
      }
      if (changed) status.reasons.push({ kind: 'UPSTREAM_DATA_CHANGED', upstream: dep });
    }
    status.status = status.reasons.length === 0 ? 'FRESH' : 'STALE';
    return status;
  };
  const wanted = options.keys === undefined ? defs.graph.keys : defs.graph.sort(options.keys);
  const out: AssetStatus[] = [];
  for (const assetKey of wanted) {
    const partitions = defs.asset(assetKey).partitions;
    if (partitions === undefined) out.push(statusOf(assetKey, undefined));
    else for (const p of partitions.keys(now)) out.push(statusOf(assetKey, p));
  }
  return out;
}
