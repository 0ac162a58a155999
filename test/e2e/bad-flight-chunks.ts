/**
 * Bad monthly chunks the `chunks_valid` check must catch, built for real with DuckDB: Parquet whose
 * footer is intact but whose data pages are garbled, a `date` column of TIMESTAMP WITH TIME ZONE,
 * and a month with a single class; plus committing such a file to a data repository.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { expect } from 'vitest';
import type { DataRepository } from 'lakeloop/data';
import { monthRange } from '../../pipelines/flight-delays/features/index.js';

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** Writes `select` to `file` with `COPY ... TO ... (FORMAT parquet)` (snappy-compressed, DuckDB's default). */
export async function writeParquet(db: DuckDBConnection, select: string, file: string): Promise<string> {
  await db.run(`COPY (${select}) TO ${quote(file)} (FORMAT parquet)`);
  return file;
}

/** The kinds of bad month {@link badMonthSelect} and {@link writeBadMonth} build. */
export type BadMonthKind = 'garbled-pages' | 'timestamptz-date' | 'single-class';

/**
 * A `SELECT` of one month of `sourceFile` (columns date, delay, distance, origin, destination):
 * unchanged for `garbled-pages` (the pages are garbled after writing), `date` cast to TIMESTAMPTZ,
 * or only the on-time flights (`delay <= 15`) for `single-class`.
 */
export function badMonthSelect(kind: BadMonthKind, sourceFile: string, month: string): string {
  const { start, end } = monthRange(month);
  const rows = `FROM read_parquet(${quote(sourceFile)})
                WHERE date >= TIMESTAMP ${quote(start)} AND date < TIMESTAMP ${quote(end)}`;
  switch (kind) {
    case 'garbled-pages':
      return `SELECT date, delay, distance, origin, destination ${rows} ORDER BY date`;
    case 'timestamptz-date':
      return `SELECT CAST(date AS TIMESTAMPTZ) AS date, delay, distance, origin, destination ${rows} ORDER BY date`;
    case 'single-class':
      return `SELECT date, delay, distance, origin, destination ${rows} AND delay <= 15 ORDER BY date`;
  }
}

/**
 * Garbles the second half of every data page region of `column` in `file` (XOR 0x5a), leaving the
 * page headers' start, the dictionary pages and the footer (metadata) intact. Asserts that DuckDB
 * still reads the metadata afterwards, so only reading the values can notice.
 */
export async function garbleDataPages(db: DuckDBConnection, file: string, column: string): Promise<void> {
  const reader = await db.runAndReadAll(
    `SELECT data_page_offset, dictionary_page_offset, total_compressed_size
     FROM parquet_metadata(${quote(file)}) WHERE path_in_schema = ${quote(column)}`,
  );
  const chunks = reader.getRowObjectsJson();
  expect(chunks.length).toBeGreaterThan(0);
  const bytes = readFileSync(file);
  for (const chunk of chunks) {
    const dataStart = Number(chunk.data_page_offset);
    const chunkStart =
      chunk.dictionary_page_offset === null ? dataStart : Number(chunk.dictionary_page_offset);
    const end = chunkStart + Number(chunk.total_compressed_size);
    for (let i = dataStart + Math.floor((end - dataStart) / 2); i < end; i++)
      bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
  }
  writeFileSync(file, bytes);
  const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quote(file)})`);
  expect(described.getRowObjectsJson().map((row) => row.column_name)).toContain(column);
  await expect(db.run(`SELECT * FROM read_parquet(${quote(file)})`)).rejects.toThrow();
}

/** Writes one bad month of `sourceFile` to `file`. */
export async function writeBadMonth(options: {
  db: DuckDBConnection;
  kind: BadMonthKind;
  sourceFile: string;
  month: string;
  file: string;
}): Promise<string> {
  const { db, kind, file } = options;
  await writeParquet(db, badMonthSelect(kind, options.sourceFile, options.month), file);
  if (kind === 'garbled-pages') await garbleDataPages(db, file, 'delay');
  return file;
}

/** Commits `file` as `path` on `branch`; returns the commit id, the time of the commit and the path. */
export async function commitFile(options: {
  data: DataRepository;
  repository: string;
  branch: string;
  path: string;
  file: string;
  message: string;
}): Promise<{ commitId: string; committedAt: number; path: string }> {
  const { data, repository, branch, path } = options;
  await data.putObject({ repository, branch, path, content: readFileSync(options.file) });
  const commit = await data.commit({ repository, branch, message: options.message });
  return { commitId: commit.id, committedAt: Date.now(), path };
}
