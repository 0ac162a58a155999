/**
 * Turns a prediction request into the row-major float32 matrix the model takes, validated
 * against the model's signature: JSON rows by feature name (`{"inputs": {...}}`, `{"inputs":
 * [...]}`, and MLflow's `dataframe_records` / `dataframe_split`), or a raw little-endian float32
 * body (columns in signature order; `x-columns` optionally names them to check the order). Every
 * refusal is INVALID_ARGUMENT naming the row and the field, with both in `details`.
 *
 * @example
 * ```ts
 * const { matrix, rows } = decodeJsonRequest(JSON.parse(text), model.featureIndex);
 * ```
 */
import { LakeloopError } from '../errors.js';

/** At most this many rows per request. */
export const MAX_ROWS = 10_000;

/** At most this many bytes per request body (413 beyond). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** A decoded request. */
export interface DecodedRequest {
  /** Row-major, columns in signature order, NaN = missing. */
  matrix: Float32Array;
  rows: number;
  /** True for `{"inputs": {...}}` (one row, answered the same way: a list of one prediction). */
  single: boolean;
}

/** What the decoders need of the model: its feature names in signature order and their indexes. */
export interface SignatureView {
  readonly featureNames: readonly string[];
  readonly featureIndex: ReadonlyMap<string, number>;
}

/** The top-level keys a JSON request may have (exactly one of them). */
const JSON_KEYS = ['inputs', 'dataframe_records', 'dataframe_split'] as const;

function invalid(message: string, details: Record<string, unknown> = {}): LakeloopError {
  return new LakeloopError('INVALID_ARGUMENT', message, { details });
}

function tooManyRows(rows: number): LakeloopError {
  return invalid(`${rows} rows in one request; send at most ${MAX_ROWS} (split the batch).`, { rows });
}

/** Decodes a parsed JSON request body (see the module comment). */
export function decodeJsonRequest(body: unknown, model: SignatureView): DecodedRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('The body must be a JSON object such as {"inputs": {"hour": 7, ...}}.');
  }
  const keys = Object.keys(body);
  const key = keys[0];
  if (keys.length !== 1 || !(JSON_KEYS as readonly string[]).includes(key ?? '')) {
    const unknown = keys.find((k) => !(JSON_KEYS as readonly string[]).includes(k));
    throw invalid(
      unknown === undefined
        ? `Give exactly one of ${JSON_KEYS.join(', ')} (got ${keys.length === 0 ? 'none' : keys.join(', ')}).`
        : `Unknown field "${unknown}" in the body; send {"inputs": {...}} or {"inputs": [{...}, ...]}.`,
      unknown === undefined ? {} : { field: unknown },
    );
  }
  const value = (body as Record<string, unknown>)[key ?? ''];
  if (key === 'dataframe_split') return decodeSplit(value, model);
  if (key === 'inputs' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const matrix = new Float32Array(model.featureNames.length);
    writeRow(value, 0, matrix, model);
    return { matrix, rows: 1, single: true };
  }
  if (!Array.isArray(value)) {
    throw invalid(`"${key}" must be a row object or a list of row objects keyed by feature name.`, {
      field: key,
    });
  }
  if (value.length > MAX_ROWS) throw tooManyRows(value.length);
  const matrix = new Float32Array(value.length * model.featureNames.length);
  for (let r = 0; r < value.length; r++) writeRow(value[r], r, matrix, model);
  return { matrix, rows: value.length, single: false };
}

/** Writes row `r` (an object by feature name) into `matrix`, refusing unknown, missing and non-numeric fields. */
function writeRow(row: unknown, r: number, matrix: Float32Array, model: SignatureView): void {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    throw invalid(`Row ${r} is not an object keyed by feature name.`, { row: r });
  }
  const columns = model.featureNames.length;
  const base = r * columns;
  const record = row as Record<string, unknown>;
  let seen = 0;
  for (const field in record) {
    const j = model.featureIndex.get(field);
    if (j === undefined) {
      throw invalid(`Row ${r}: unknown field "${field}"; the model takes ${model.featureNames.join(', ')}.`, {
        row: r,
        field,
      });
    }
    matrix[base + j] = numberOf(record[field], r, field);
    seen++;
  }
  if (seen !== columns) {
    const missing = model.featureNames.find((name) => !(name in record)) ?? '';
    throw invalid(`Row ${r}: missing field "${missing}" (send null for a missing value).`, {
      row: r,
      field: missing,
    });
  }
}

function numberOf(value: unknown, r: number, field: string): number {
  if (typeof value === 'number') return value;
  if (value === null) return Number.NaN;
  throw invalid(
    `Row ${r}, field "${field}": expected a number (or null for missing), got ${typeof value === 'string' ? `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}` : typeof value}.`,
    { row: r, field },
  );
}

/** MLflow's `dataframe_split`: `{columns: [...], data: [[...], ...]}` (columns in any order). */
function decodeSplit(value: unknown, model: SignatureView): DecodedRequest {
  const split = value as { columns?: unknown; data?: unknown } | null;
  if (
    typeof split !== 'object' ||
    split === null ||
    !Array.isArray(split.columns) ||
    !Array.isArray(split.data)
  ) {
    throw invalid('"dataframe_split" must be {"columns": [...], "data": [[...], ...]}.', {
      field: 'dataframe_split',
    });
  }
  const columns = split.columns as unknown[];
  const order = columns.map((name, i) => {
    const j = typeof name === 'string' ? model.featureIndex.get(name) : undefined;
    if (j === undefined) {
      throw invalid(
        `Column ${i}: unknown field ${JSON.stringify(name)}; the model takes ${model.featureNames.join(', ')}.`,
        {
          field: name,
        },
      );
    }
    return j;
  });
  const missing = model.featureNames.find((name) => !columns.includes(name));
  if (missing !== undefined || new Set(order).size !== order.length) {
    throw invalid(
      missing === undefined
        ? 'A column is given twice in "dataframe_split".'
        : `Missing field "${missing}" in "dataframe_split" columns.`,
      missing === undefined ? {} : { field: missing },
    );
  }
  const data = split.data as unknown[];
  if (data.length > MAX_ROWS) throw tooManyRows(data.length);
  const width = model.featureNames.length;
  const matrix = new Float32Array(data.length * width);
  data.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== width) {
      throw invalid(`Row ${r} of "dataframe_split" must be a list of ${width} values.`, { row: r });
    }
    row.forEach((cell, i) => {
      const j = order[i] ?? 0;
      matrix[r * width + j] = numberOf(cell, r, model.featureNames[j] ?? '');
    });
  });
  return { matrix, rows: data.length, single: false };
}

/**
 * Decodes a raw float32 body: little-endian, row-major, columns in signature order. `columnsHeader`
 * (`x-columns: hour,day_of_week,...`), when given, must name the signature's columns in order.
 */
export function decodeFloat32Request(
  bytes: Uint8Array,
  model: SignatureView,
  columnsHeader: string | undefined,
): DecodedRequest {
  const width = model.featureNames.length;
  if (columnsHeader !== undefined) checkColumnsHeader(columnsHeader, model);
  if (bytes.byteLength % 4 !== 0) {
    throw invalid(`A float32 body has a multiple of 4 bytes; got ${bytes.byteLength}.`);
  }
  const values = bytes.byteLength / 4;
  if (values % width !== 0) {
    throw invalid(
      `${values} float32 values are not whole rows of ${width} columns (${model.featureNames.join(', ')}).`,
    );
  }
  const rows = values / width;
  if (rows > MAX_ROWS) throw tooManyRows(rows);
  // A copy when the bytes are not 4-byte aligned in their buffer (a Node Buffer slice may not be).
  const matrix =
    bytes.byteOffset % 4 === 0
      ? new Float32Array(bytes.buffer, bytes.byteOffset, values)
      : new Float32Array(bytes.slice().buffer);
  return { matrix, rows, single: false };
}

/** Refuses an `x-columns` header that is not the signature's columns in order, naming the first difference. */
export function checkColumnsHeader(header: string, model: SignatureView): void {
  const given = header.split(',').map((name) => name.trim());
  const at = model.featureNames.findIndex((name, i) => given[i] !== name);
  if (at >= 0 || given.length !== model.featureNames.length) {
    const index = at >= 0 ? at : model.featureNames.length;
    throw invalid(
      `x-columns: column ${index} is ${JSON.stringify(given[index] ?? '(none)')}, the model expects ${JSON.stringify(model.featureNames[index] ?? '(no more columns)')}; send the columns in signature order: ${model.featureNames.join(',')}.`,
      { field: given[index] ?? '', column: index },
    );
  }
}
