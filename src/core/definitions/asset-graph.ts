/**
 * The asset dependency graph: validated on construction (duplicate keys, missing dependencies,
 * cycles are rejected with the keys involved) and kept in a stable topological order
 * (declaration order among assets that are ready at the same time).
 *
 * @example
 * ```ts
 * const graph = new AssetGraph([raw, features, model]);
 * graph.order;               // ['raw', 'features', 'model']
 * graph.ancestors('model');  // Set { 'raw', 'features' }
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { AssetDefinition } from './asset-definition.js';

/** A validated DAG of assets. */
export class AssetGraph {
  /** Asset keys in topological order. */
  readonly order: readonly string[];
  readonly #assets = new Map<string, AssetDefinition>();
  readonly #downstream = new Map<string, string[]>();
  readonly #position = new Map<string, number>();

  /** Builds and validates the graph; throws DEFINITION_ERROR naming the keys at fault. */
  constructor(assets: readonly AssetDefinition[]) {
    const duplicates = new Set<string>();
    for (const asset of assets) {
      if (this.#assets.has(asset.key)) duplicates.add(asset.key);
      this.#assets.set(asset.key, asset);
      this.#downstream.set(asset.key, []);
    }
    if (duplicates.size > 0) {
      throw new LakeloopError(
        'DEFINITION_ERROR',
        `Duplicate asset keys: ${[...duplicates].join(', ')}. Give each asset a unique key.`,
        {
          details: { keys: [...duplicates] },
        },
      );
    }
    const missing: string[] = [];
    for (const asset of this.#assets.values()) {
      for (const dep of asset.deps) {
        const down = this.#downstream.get(dep);
        if (down === undefined) missing.push(`"${asset.key}" -> "${dep}"`);
        else down.push(asset.key);
      }
    }
    if (missing.length > 0) {
      throw new LakeloopError(
        'DEFINITION_ERROR',
        `Missing dependencies: ${missing.join(', ')}. Add the upstream assets to the Definitions or fix the deps.`,
        { details: { missing } },
      );
    }
    this.order = this.#topologicalOrder();
    this.order.forEach((key, i) => this.#position.set(key, i));
  }

  #topologicalOrder(): string[] {
    const indegree = new Map<string, number>();
    for (const asset of this.#assets.values()) indegree.set(asset.key, asset.deps.length);
    const declared = new Map([...this.#assets.keys()].map((k, i) => [k, i]));
    const byDeclaration = (a: string, b: string): number => (declared.get(a) ?? 0) - (declared.get(b) ?? 0);
    const ready = [...this.#assets.keys()].filter((k) => indegree.get(k) === 0);
    const order: string[] = [];
    while (ready.length > 0) {
      const key = ready.shift() as string;
      order.push(key);
      for (const down of this.#downstream.get(key) ?? []) {
        const left = (indegree.get(down) ?? 0) - 1;
        indegree.set(down, left);
        if (left === 0) {
          ready.push(down);
          ready.sort(byDeclaration);
        }
      }
    }
    if (order.length < this.#assets.size) {
      const cycle = this.#findCycle(new Set(order));
      throw new LakeloopError(
        'DEFINITION_ERROR',
        `Dependency cycle: ${cycle.join(' -> ')}. Break it by removing one of these deps.`,
        {
          details: { cycle },
        },
      );
    }
    return order;
  }

  #findCycle(done: ReadonlySet<string>): string[] {
    const state = new Map<string, 'visiting' | 'visited'>();
    const stack: string[] = [];
    const visit = (key: string): string[] | undefined => {
      state.set(key, 'visiting');
      stack.push(key);
      for (const dep of this.get(key).deps) {
        if (done.has(dep)) continue;
        if (state.get(dep) === 'visiting') return [...stack.slice(stack.indexOf(dep)), dep];
        if (state.get(dep) === undefined) {
          const found = visit(dep);
          if (found !== undefined) return found;
        }
      }
      stack.pop();
      state.set(key, 'visited');
      return undefined;
    };
    for (const key of this.#assets.keys()) {
      if (done.has(key) || state.has(key)) continue;
      const found = visit(key);
      if (found !== undefined) return found.reverse();
    }
    return [];
  }

  /** All asset keys, in topological order. */
  get keys(): readonly string[] {
    return this.order;
  }

  /** Whether the graph has an asset with this key. */
  has(key: string): boolean {
    return this.#assets.has(key);
  }

  /** The asset with this key; throws NOT_FOUND listing the keys that exist. */
  get(key: string): AssetDefinition {
    const asset = this.#assets.get(key);
    if (asset === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown asset "${key}"; known assets: ${this.order.join(', ')}.`,
        {
          details: { key },
        },
      );
    }
    return asset;
  }

  /** Direct upstream keys. */
  upstream(key: string): readonly string[] {
    return this.get(key).deps;
  }

  /** Direct downstream keys. */
  downstream(key: string): readonly string[] {
    this.get(key);
    return this.#downstream.get(key) ?? [];
  }

  /** All transitive upstream keys. */
  ancestors(key: string): Set<string> {
    return this.#walk(key, (k) => this.upstream(k));
  }

  /** All transitive downstream keys. */
  descendants(key: string): Set<string> {
    return this.#walk(key, (k) => this.downstream(k));
  }

  /** Sorts keys in topological order. */
  sort(keys: Iterable<string>): string[] {
    return [...new Set(keys)].sort((a, b) => (this.#position.get(a) ?? 0) - (this.#position.get(b) ?? 0));
  }

  #walk(start: string, next: (key: string) => readonly string[]): Set<string> {
    const seen = new Set<string>();
    const todo = [...next(start)];
    while (todo.length > 0) {
      const key = todo.pop() as string;
      if (seen.has(key)) continue;
      seen.add(key);
      todo.push(...next(key));
    }
    return seen;
  }
}
