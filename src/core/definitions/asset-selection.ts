/**
 * Asset selection strings (the same ones the CLI's `--select` takes):
 * `key`, `+key` (with all upstream), `key+` (with all downstream), `+key+`, `group:<name>`, `*`,
 * and comma-separated unions. Unknown keys or groups are errors listing what exists.
 *
 * @example
 * ```ts
 * resolveSelection(graph, 'train_model+,group:data'); // keys in topological order
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { AssetGraph } from './asset-graph.js';

/** One parsed term of a selection. */
export type SelectionTerm =
  | { kind: 'all' }
  | { kind: 'group'; group: string }
  | { kind: 'key'; key: string; upstream: boolean; downstream: boolean };

const KEY_TERM = /^(\+?)([A-Za-z_][A-Za-z0-9_\-/]*)(\+?)$/;

/** Parses a selection string into terms; throws INVALID_ARGUMENT on bad syntax. */
export function parseSelection(selection: string): SelectionTerm[] {
  const parts = selection.split(',').map((p) => p.trim());
  if (parts.every((p) => p === '')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'Empty asset selection; pass e.g. "*", "key", "+key", "key+" or "group:name".',
    );
  }
  return parts
    .filter((p) => p !== '')
    .map((part): SelectionTerm => {
      if (part === '*') return { kind: 'all' };
      if (part.startsWith('group:')) {
        const group = part.slice('group:'.length).trim();
        if (group === '')
          throw new LakeloopError('INVALID_ARGUMENT', 'Empty group name in selection "group:".');
        return { kind: 'group', group };
      }
      const m = KEY_TERM.exec(part);
      if (m === null) {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          `Invalid selection term ${JSON.stringify(part)}; use "key", "+key", "key+", "+key+", "group:name" or "*".`,
          { details: { selection } },
        );
      }
      return { kind: 'key', key: m[2] ?? '', upstream: m[1] === '+', downstream: m[3] === '+' };
    });
}

/** Resolves a selection against a graph: the selected keys in topological order. */
export function resolveSelection(graph: AssetGraph, selection: string): string[] {
  const selected = new Set<string>();
  for (const term of parseSelection(selection)) {
    switch (term.kind) {
      case 'all':
        graph.keys.forEach((k) => selected.add(k));
        break;
      case 'group': {
        const members = graph.keys.filter((k) => graph.get(k).group === term.group);
        if (members.length === 0) {
          const groups = [...new Set(graph.keys.map((k) => graph.get(k).group))].sort();
          throw new LakeloopError(
            'INVALID_ARGUMENT',
            `Unknown asset group "${term.group}" in selection "${selection}"; groups: ${groups.join(', ')}.`,
            { details: { group: term.group } },
          );
        }
        members.forEach((k) => selected.add(k));
        break;
      }
      case 'key': {
        if (!graph.has(term.key)) {
          throw new LakeloopError(
            'INVALID_ARGUMENT',
            `Unknown asset "${term.key}" in selection "${selection}"; known assets: ${graph.keys.join(', ')}.`,
            { details: { key: term.key } },
          );
        }
        selected.add(term.key);
        if (term.upstream) graph.ancestors(term.key).forEach((k) => selected.add(k));
        if (term.downstream) graph.descendants(term.key).forEach((k) => selected.add(k));
        break;
      }
    }
  }
  return graph.sort(selected);
}
