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
import type { ResourcesSpec, ResourceValues } from './resource-definition.js';
import { checkResourcesSpec } from './resources-spec.js';

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
  /** Names of resources of the Definitions the check needs. */
  readonly requiredResources: readonly string[];
  /** Resources declared on the check itself, by name. */
  readonly resources: Readonly<Record<string, unknown>>;
  readonly fn: (
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- resources are typed at defineCheck
    ctx: CheckContext<any>,
    value: TValue,
  ) => CheckResult | boolean | Promise<CheckResult | boolean>;
}

/** What {@link defineCheck} takes. */
export interface CheckSpec<TValue, TResources extends ResourcesSpec = readonly []> {
  /** Unique per asset. */
  name: string;
  /** The checked asset (a definition types the value; a key gives `unknown`). */
  asset: AssetDefinition<string, TValue> | string;
  /** When true, a failed ERROR check stops the asset's step and its downstream. Default false. */
  blocking?: boolean;
  description?: string;
  /** The resources the check uses (as an asset's `resources`); types `ctx.resources`. Default none. */
  resources?: TResources;
  fn: (
    ctx: CheckContext<ResourceValues<TResources>>,
    value: TValue,
  ) => CheckResult | boolean | Promise<CheckResult | boolean>;
}

/** Defines an asset check (see the module example). */
export function defineCheck<TValue = unknown, TResources extends ResourcesSpec = readonly []>(
  spec: CheckSpec<TValue, TResources>,
): CheckDefinition<TValue> {
  const assetKey = typeof spec.asset === 'string' ? spec.asset : spec.asset.key;
  checkAssetKey(assetKey);
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(spec.name)) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Invalid check name ${JSON.stringify(spec.name)} on asset "${assetKey}": use letters, digits, "_" and "-".`,
    );
  }
  const resources = checkResourcesSpec(`Check "${spec.name}" on asset "${assetKey}"`, spec.resources);
  return {
    kind: 'check',
    name: spec.name,
    assetKey,
    blocking: spec.blocking ?? false,
    description: spec.description,
    requiredResources: resources.names,
    resources: resources.declared,
    fn: spec.fn as CheckDefinition<TValue>['fn'],
  };
}

/** Normalizes a check function's result. */
export function toCheckResult(
  result: CheckResult | boolean,
): Required<Pick<CheckResult, 'passed' | 'severity'>> & CheckResult {
  const r = typeof result === 'boolean' ? { passed: result } : result;
  return { ...r, severity: r.severity ?? 'ERROR' };
}
