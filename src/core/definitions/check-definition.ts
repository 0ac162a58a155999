/**
 * Asset checks: a function that looks at an asset's freshly computed value and says whether it
 * passed, with a severity and metadata. A failing blocking check with severity ERROR fails the
 * asset's step before its value is stored, so downstream steps are skipped and the previous
 * value stays the current one.
 *
 * @example
 * ```ts
 * const notEmpty = defineCheck({
 *   name: 'not_empty', asset: rows, blocking: true,
 *   fn: (_ctx, rows) => ({ passed: rows.length > 0, metadata: { rows: rows.length } }),
 * });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { CheckContext } from './asset-context.js';
import type { AssetDefinition } from './asset-definition.js';
import { checkAssetKey } from './asset-key.js';

/** Severity of a failed check. */
export type CheckSeverity = 'ERROR' | 'WARN';

/** What a check function returns (a boolean is shorthand for `{ passed }`). */
export interface CheckResult {
  passed: boolean;
  /** Default `ERROR`. */
  severity?: CheckSeverity;
  description?: string;
  metadata?: Record<string, unknown>;
}

/** A defined asset check. */
export interface CheckDefinition<TValue = unknown> {
  readonly kind: 'check';
  readonly name: string;
  readonly assetKey: string;
  readonly blocking: boolean;
  readonly description: string | undefined;
  readonly fn: (ctx: CheckContext, value: TValue) => CheckResult | boolean | Promise<CheckResult | boolean>;
}

/** What {@link defineCheck} takes. */
export interface CheckSpec<TValue> {
  /** Unique per asset. */
  name: string;
  /** The checked asset (a definition types the value; a key gives `unknown`). */
  asset: AssetDefinition<string, TValue> | string;
  /** When true, a failed ERROR check stops the asset's step and its downstream. Default false. */
  blocking?: boolean;
  description?: string;
  fn: (ctx: CheckContext, value: TValue) => CheckResult | boolean | Promise<CheckResult | boolean>;
}

/** Defines an asset check. */
export function defineCheck<TValue = unknown>(spec: CheckSpec<TValue>): CheckDefinition<TValue> {
  const assetKey = typeof spec.asset === 'string' ? spec.asset : spec.asset.key;
  checkAssetKey(assetKey);
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(spec.name)) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Invalid check name ${JSON.stringify(spec.name)} on asset "${assetKey}": use letters, digits, "_" and "-".`,
    );
  }
  return {
    kind: 'check',
    name: spec.name,
    assetKey,
    blocking: spec.blocking ?? false,
    description: spec.description,
    fn: spec.fn,
  };
}

/** Normalizes a check function's result. */
export function toCheckResult(
  result: CheckResult | boolean,
): Required<Pick<CheckResult, 'passed' | 'severity'>> & CheckResult {
  const r = typeof result === 'boolean' ? { passed: result } : result;
  return { ...r, severity: r.severity ?? 'ERROR' };
}
