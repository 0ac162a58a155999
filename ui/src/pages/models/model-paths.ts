/** Where the Models page and its neighbours live (the links between the pages). */

/** A model's page, optionally opened on a version. */
export function modelPath(name: string, version?: string): string {
  const base = `/models/${encodeURIComponent(name)}`;
  return version === undefined ? base : `${base}?version=${encodeURIComponent(version)}`;
}

/** The lineage (and why) of a version. */
export function lineagePath(name: string, version: string): string {
  return `/lineage?modelVersion=${encodeURIComponent(`${name}/${version}`)}`;
}

/** A training run on the Experiments page. */
export function trainingRunPath(runId: string): string {
  return `/experiments?run=${encodeURIComponent(runId)}`;
}

/** A pipeline run on the Runs page. */
export function pipelineRunPath(runId: string): string {
  return `/runs/${encodeURIComponent(runId)}`;
}

/** The model name of a `/models/<name>` path, or undefined on `/models`. */
export function modelNameOf(path: string): string | undefined {
  const rest = path.replace(/^\/models\/?/, '');
  return rest === '' ? undefined : decodeURIComponent(rest.split('/')[0] ?? '');
}
