/** The shapes of the data routes' answers (docs/api.md, "Versioned data"), as the Data page reads them. */

/** A page of any data list: the next page is `after=<nextOffset>`. */
export interface DataPage<T> {
  results: T[];
  hasMore: boolean;
  nextOffset: string;
}

/** One repository of `GET /api/data/repositories`. */
export interface RepositoryInfo {
  name: string;
  defaultBranch: string;
  creationDate: string;
  storageNamespace: string;
}

/** `GET /api/data/repositories/:repo`: with its backend and what that backend can do. */
export interface RepositoryDetail extends RepositoryInfo {
  backend: 'embedded' | 'lakefs';
  capabilities: Record<string, boolean>;
}

/** A branch or a tag. */
export interface RefInfo {
  name: string;
  commitId: string;
}

/** A run a commit triggered. */
export interface CommitRun {
  runId: string;
  status: string;
  jobName: string;
}

/** A model version trained on a commit. */
export interface CommitModelVersion {
  name: string;
  version: string;
  aliases: string[];
}

/** One commit of `GET …/commits?modelVersions=true`. */
export interface LoggedCommit {
  id: string;
  parents: string[];
  committer: string;
  message: string;
  creationDate: string;
  metadata: Record<string, string>;
  runs: CommitRun[];
  /** Absent when the server has no model registry. */
  modelVersions?: CommitModelVersion[];
}

/** One entry of `GET …/objects`: an object, or a folder (common prefix) with `delimiter=/`. */
export type ObjectEntry =
  | {
      pathType: 'object';
      path: string;
      sizeBytes: number;
      contentType: string;
      checksum: string;
      mtime: string;
      metadata: Record<string, string>;
    }
  | { pathType: 'common_prefix'; path: string };

/** `GET …/objects/preview`: a table, a text, or only a binary object's size. */
export type ObjectPreview = {
  path: string;
  ref: string;
  size: number;
  contentType: string;
} & (
  | {
      kind: 'table';
      format: string;
      columns: { name: string; type: string }[];
      rows: unknown[][];
      truncated: boolean;
      totalRows?: number;
    }
  | { kind: 'text'; text: string; truncated: boolean }
  | { kind: 'binary' }
);

/** One entry of a diff. */
export interface DiffEntry {
  type: 'added' | 'removed' | 'changed' | 'conflict';
  path: string;
  pathType: 'object' | 'common_prefix';
  sizeBytes?: number;
}

/** Counts and bytes of one change type (bytes undefined when a size is unknown). */
export interface DiffTotals {
  count: number;
  bytes?: number;
}

/** The changes under one folder. */
export interface DiffSummaryRow {
  prefix: string;
  added: DiffTotals;
  removed: DiffTotals;
  changed: DiffTotals;
  conflicts: number;
}

/** A page of a diff (`…/diff`, `…/changes`) with the summary of its entries. */
export interface DiffAnswer extends DataPage<DiffEntry> {
  summary: { rows: DiffSummaryRow[]; total: DiffSummaryRow };
}

/** `POST …/refs/:source/merge/:destination`. */
export interface MergeResult {
  reference: string;
  kind: 'merge' | 'none';
}
