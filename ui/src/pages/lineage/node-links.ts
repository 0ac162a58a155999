/**
 * What a lineage node says and where it leads: the page of the thing (its data commit, sensor,
 * run, training run, version) and, for the kinds the lineage route can focus, the lineage around it.
 */
import type { LineageNode, NodeKind } from './types.js';

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const enc = encodeURIComponent;

/** The node's kind as a caption. */
export const KIND_TITLES: Record<NodeKind, string> = {
  data_commit: 'Data commit',
  sensor_tick: 'Sensor tick',
  pipeline_run: 'Pipeline run',
  training_run: 'Training run',
  model_version: 'Model version',
  gate: 'Gate',
  alias_move: 'Alias move',
};

/** The page of the node's thing, or undefined when the node lacks what the link needs. */
export function nodePage(node: LineageNode): string | undefined {
  const d = node.data;
  switch (node.kind) {
    case 'data_commit': {
      const repo = str(d['repository']);
      const commit = str(d['commitId']);
      return repo === undefined || commit === undefined
        ? undefined
        : `/data/${enc(repo)}/objects?ref=${enc(commit)}`;
    }
    case 'sensor_tick': {
      const sensor = str(d['sensor']);
      return sensor === undefined ? undefined : `/automation?sensor=${enc(sensor)}`;
    }
    case 'pipeline_run':
    case 'gate': {
      const run = str(d['runId']);
      return run === undefined ? undefined : `/runs/${enc(run)}`;
    }
    case 'training_run': {
      const run = str(d['runId']);
      return run === undefined ? undefined : `/experiments?run=${enc(run)}`;
    }
    case 'model_version':
    case 'alias_move': {
      const name = str(d['name']);
      const version = node.kind === 'model_version' ? str(d['version']) : undefined;
      if (name === undefined) return undefined;
      return `/models/${enc(name)}${version === undefined ? '' : `?version=${enc(version)}`}`;
    }
  }
}

/** The lineage focused on this node, for the kinds `GET /api/lineage` can focus. */
export function nodeLineage(node: LineageNode): string | undefined {
  const d = node.data;
  if (node.kind === 'model_version') {
    const name = str(d['name']);
    const version = str(d['version']);
    return name === undefined || version === undefined
      ? undefined
      : `/lineage?modelVersion=${enc(`${name}/${version}`)}`;
  }
  if (node.kind === 'pipeline_run') {
    const run = str(d['runId']);
    return run === undefined ? undefined : `/lineage?run=${enc(run)}`;
  }
  if (node.kind === 'data_commit') {
    const commit = str(d['commitId']);
    const repo = str(d['repository']);
    if (commit === undefined) return undefined;
    return `/lineage?commit=${enc(commit)}${repo === undefined ? '' : `&repository=${enc(repo)}`}`;
  }
  return undefined;
}

/** One line under the label: the status, message or reason that matters for that kind. */
export function nodeDetail(node: LineageNode): string {
  const d = node.data;
  switch (node.kind) {
    case 'data_commit':
      return str(d['message']) ?? str(d['branch']) ?? '';
    case 'sensor_tick':
      return str(d['status']) ?? '';
    case 'pipeline_run':
      return `${str(d['jobName']) ?? ''} ${str(d['status']) ?? ''}`.trim();
    case 'training_run': {
      const metrics = d['metrics'];
      const auc =
        typeof metrics === 'object' && metrics !== null
          ? (metrics as Record<string, unknown>)['auc']
          : undefined;
      return `${str(d['status']) ?? ''}${typeof auc === 'number' ? ` · auc ${auc.toPrecision(4)}` : ''}`;
    }
    case 'model_version': {
      const aliases = Array.isArray(d['aliases'])
        ? (d['aliases'] as unknown[]).filter((a) => typeof a === 'string')
        : [];
      return aliases.length === 0 ? (str(d['status']) ?? '') : aliases.join(', ');
    }
    case 'gate': {
      const failed = Array.isArray(d['failed']) ? (d['failed'] as unknown[]) : [];
      return d['passed'] === true ? 'passed' : `failed: ${failed.join(', ')}`;
    }
    case 'alias_move':
      return str(d['reason']) ?? '';
  }
}
