/**
 * The IO manager seam: how an asset's value is stored after its compute function returns and
 * loaded again for its downstream assets (in this process, in a worker process, or in a later run).
 * Writes must be atomic: a reader sees the previous value or the new one, never a partial file.
 *
 * @example
 * ```ts
 * const stored = await io.write({ assetKey: 'features', partition: '2001-01' }, columns);
 * const again = await io.read({ assetKey: 'features', partition: '2001-01', storagePath: stored.storagePath });
 * ```
 */

/** Which stored value: an asset and, when partitioned, a partition. */
export interface OutputRef {
  assetKey: string;
  partition?: string;
}

/** Where a value was stored (as recorded in the materialization event). */
export interface StoredOutputRef extends OutputRef {
  /** Where the value is (for the filesystem IO manager: an absolute file path). */
  storagePath: string;
}

/** What a write produced. */
export interface StoredOutput extends StoredOutputRef {
  /** Hash of the stored bytes: the data version of the materialization. */
  dataVersion: string;
  /** The encoding used (`json`, `bytes`, `table`, `tree`, or a custom IO manager's own). */
  format: string;
  /** Size of the stored value in bytes. */
  sizeBytes: number;
}

/** Options of {@link IoManager.prune}. */
export interface PruneValuesOptions {
  /**
   * Values to keep: every value a retained run's materialization event references. A filesystem
   * IO manager keeps both the recorded path and the same file name in the asset's folder under its
   * current root (so a moved instance home does not lose its values).
   */
  keep: Iterable<StoredOutputRef>;
  /** Called after each deletion (progress; the crash tests stop a process there). Default none. */
  onDeleted?: (storagePath: string) => void;
  /**
   * Only values last written before this epoch ms are deleted: a value written a moment ago may
   * belong to a run that has not recorded its materialization event yet.
   */
  writtenBefore: number;
  /** Only report what would be deleted. Default false. */
  dryRun?: boolean;
}

/** What {@link IoManager.prune} deleted (or would delete, with `dryRun`). */
export interface PruneValuesResult {
  /** Storage paths deleted. */
  deleted: string[];
  deletedBytes: number;
  /** Stored values kept. */
  kept: number;
}

/** Stores and loads asset values. */
export interface IoManager {
  /**
   * A URL another process can open the same store with (`file:///…`, `s3://bucket/prefix`; see
   * io-manager-url.ts): worker processes and `lakeloop worker` use it. Never holds credentials.
   * Default none (such an IO manager cannot be used by the multi-process and queue executors'
   * workers, which then use the filesystem one of their instance home).
   */
  readonly location?: string;
  /** Stores `value` atomically and returns where and with which data version. */
  write(ref: OutputRef, value: unknown): Promise<StoredOutput>;
  /** Loads a stored value. */
  read(ref: StoredOutputRef): Promise<unknown>;
  /** Whether a stored value is still there (re-execution plans recompute values that are gone). */
  has?(ref: StoredOutputRef): Promise<boolean>;
  /**
   * Deletes stored values not in `keep` (retention). Optional: an IO manager without it keeps
   * every value (instance pruning then skips values).
   */
  prune?(options: PruneValuesOptions): Promise<PruneValuesResult>;
}
