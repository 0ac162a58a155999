/**
 * An in-memory DuckDB instance and connection for the feature engineering, as a disposable
 * resource.
 *
 * @example
 * ```ts
 * await using features = await openFeatureDatabase();
 * await buildMonthFeatures({ db: features.connection, inputPath, outputPath, month: '2001-01' });
 * ```
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** Options of {@link openFeatureDatabase}. */
export interface FeatureDatabaseOptions {
  /** DuckDB worker threads. Default: DuckDB's default (the machine's cores). */
  threads?: number;
  /** DuckDB memory limit, e.g. `'2GB'`. Default: DuckDB's default (80% of RAM). */
  memoryLimit?: string;
}

/** An open DuckDB database; close it when done. */
export interface FeatureDatabase extends AsyncDisposable {
  /** The connection to pass as `db` to the feature functions. */
  readonly connection: DuckDBConnection;
  /** Closes the connection and the instance. */
  close(): void;
}

/** Opens an in-memory DuckDB database for feature engineering. */
export async function openFeatureDatabase(options: FeatureDatabaseOptions = {}): Promise<FeatureDatabase> {
  const config: Record<string, string> = {};
  if (options.threads !== undefined) config.threads = String(options.threads);
  if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
  const instance = await DuckDBInstance.create(':memory:', config);
  const connection = await instance.connect();
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    connection.closeSync();
    instance.closeSync();
  };
  return {
    connection,
    close,
    [Symbol.asyncDispose]: () => {
      close();
      return Promise.resolve();
    },
  };
}
