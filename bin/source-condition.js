// A module resolve hook (registered with node:module `register`, it runs on Node's hooks thread)
// adding the `lakeloop-source` export condition to every resolution, as `--conditions=lakeloop-source`
// would: `import 'lakeloop'` then resolves to src/ instead of the compiled dist/.
const CONDITION = 'lakeloop-source';

/**
 * @param {string} specifier
 * @param {{ conditions: string[] }} context
 * @param {(specifier: string, context: object) => Promise<unknown>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes(CONDITION)
    ? context.conditions
    : [...context.conditions, CONDITION];
  return nextResolve(specifier, { ...context, conditions });
}
