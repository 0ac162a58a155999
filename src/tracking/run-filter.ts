/**
 * MLflow's filter strings for searching training runs, parsed into the structured
 * {@link SearchRunsQuery}: clauses `<entity>.<key> <comparator> <value>` joined by `and`, on
 * `metrics` (> >= < <= = != and a number), `params` and `tags` (= != LIKE ILIKE and a quoted
 * string) and `attributes.status` (= != and a status). Keys with spaces or other characters go in
 * backticks or double quotes (``metrics.`val loss` ``). Anything else — `or` (which MLflow does
 * not support either), parentheses, IN, IS NULL, other attributes — is INVALID_ARGUMENT naming the
 * token, where it is, and what is supported. Also parses an order (`metrics.auc DESC`).
 *
 * @example
 * ```ts
 * const filter = parseRunFilter("metrics.auc > 0.7 and params.lr = '0.1' and attributes.status = 'FINISHED'");
 * // { metrics: [{ key: 'auc', comparator: '>', value: 0.7 }], params: [{ key: 'lr', comparator: '=', value: '0.1' }],
 * //   tagFilters: [], statuses: ['FINISHED'] }
 * const runs = await tracking.searchRuns({ experimentIds: ['1'], ...filter });
 * ```
 */
import { LakeloopError } from '../errors.js';
import { METRIC_COMPARATORS, STRING_COMPARATORS, TrackingRunStatus } from './tracking-types.js';
import type { MetricComparator, SearchRunsQuery, StringComparator, StringFilter } from './tracking-types.js';

/** The parts of a {@link SearchRunsQuery} a filter string sets. */
export interface RunFilter {
  metrics: { key: string; comparator: MetricComparator; value: number }[];
  params: StringFilter[];
  tagFilters: StringFilter[];
  /**
   * The statuses the `attributes.status` clauses allow; undefined without any. Empty when they
   * contradict each other (`status = 'FINISHED' and status = 'FAILED'`): no run matches.
   */
  statuses: TrackingRunStatus[] | undefined;
}

/** An order of runs, as {@link SearchRunsQuery} takes it. */
export type RunOrder = Pick<SearchRunsQuery, 'orderBy' | 'ascending'>;

/** Longest filter string accepted. */
export const MAX_FILTER_LENGTH = 4000;

const SUPPORTED =
  "supported: clauses joined by `and`, each metrics.<key> (> >= < <= = != and a number), params.<key> or tags.<key> (= != LIKE ILIKE and a quoted string) or attributes.status (= != and a status), e.g. metrics.auc > 0.7 and params.lr = '0.1'";

const ENTITIES: Readonly<Record<string, 'metrics' | 'params' | 'tags' | 'attributes'>> = {
  metric: 'metrics',
  metrics: 'metrics',
  param: 'params',
  params: 'params',
  parameter: 'params',
  parameters: 'params',
  tag: 'tags',
  tags: 'tags',
  attribute: 'attributes',
  attributes: 'attributes',
  attr: 'attributes',
  run: 'attributes',
};

const BARE_KEY = /[A-Za-z0-9_\-./:]/;
const WORD = /[A-Za-z0-9_\-./:]/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const STATUSES: readonly string[] = Object.values(TrackingRunStatus);

interface Token {
  text: string;
  at: number;
}

/** Reads a filter string from left to right; every error names the token and its position. */
class FilterReader {
  #at = 0;

  constructor(readonly text: string) {}

  atEnd(): boolean {
    this.#skipSpace();
    return this.#at >= this.text.length;
  }

  fail(token: Token, problem: string): never {
    const shown = token.text === '' ? 'the end of the filter' : JSON.stringify(token.text.slice(0, 60));
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid filter at character ${token.at + 1} (${shown}): ${problem}; ${SUPPORTED}.`,
      { details: { position: token.at, token: token.text.slice(0, 200) } },
    );
  }

  /** The next token without consuming it: a word, a quoted text, an operator or one character. */
  peek(): Token {
    this.#skipSpace();
    const start = this.#at;
    const char = this.text[start];
    if (char === undefined) return { text: '', at: start };
    if (char === "'" || char === '"' || char === '`') {
      const end = this.text.indexOf(char, start + 1);
      return { text: this.text.slice(start, end === -1 ? this.text.length : end + 1), at: start };
    }
    if ('<>!='.includes(char)) {
      const two = this.text.slice(start, start + 2);
      return { text: ['>=', '<=', '!=', '=='].includes(two) ? two : char, at: start };
    }
    if (!WORD.test(char)) return { text: char, at: start };
    let end = start;
    while (end < this.text.length && WORD.test(this.text[end] ?? '')) end++;
    return { text: this.text.slice(start, end), at: start };
  }

  next(): Token {
    const token = this.peek();
    this.#at = token.at + token.text.length;
    return token;
  }

  /** `entity.key`, the key bare, in backticks or in double quotes. */
  identifier(): { entity: Token; key: string } {
    this.#skipSpace();
    const start = this.#at;
    const dot = this.text.indexOf('.', start);
    const entityText = dot === -1 ? '' : this.text.slice(start, dot);
    if (dot === -1 || !/^[A-Za-z]+$/.test(entityText)) {
      const token = this.peek();
      if (token.text === '(') this.fail(token, 'parentheses are not supported');
      this.fail(
        token,
        'expected an identifier such as metrics.auc, params.lr, tags.team or attributes.status',
      );
    }
    const entity = { text: entityText, at: start };
    this.#at = dot + 1;
    const quote = this.text[this.#at];
    if (quote === '`' || quote === '"') {
      const end = this.text.indexOf(quote, this.#at + 1);
      if (end === -1) this.fail({ text: this.text.slice(this.#at), at: this.#at }, `unclosed ${quote}`);
      const key = this.text.slice(this.#at + 1, end);
      this.#at = end + 1;
      if (key === '') this.fail({ text: `${entityText}.${quote}${quote}`, at: start }, 'empty key');
      return { entity, key };
    }
    const keyStart = this.#at;
    while (this.#at < this.text.length && BARE_KEY.test(this.text[this.#at] ?? '')) this.#at++;
    const key = this.text.slice(keyStart, this.#at);
    if (key === '') {
      this.fail(
        { text: `${entityText}.`, at: start },
        'a key must follow the dot (in backticks when it has spaces: metrics.`val loss`)',
      );
    }
    return { entity, key };
  }

  #skipSpace(): void {
    while (this.#at < this.text.length && /\s/.test(this.text[this.#at] ?? '')) this.#at++;
  }
}

/** Parses an MLflow filter string (empty: no filter); INVALID_ARGUMENT on what it does not support. */
export function parseRunFilter(text: string): RunFilter {
  const filter: RunFilter = { metrics: [], params: [], tagFilters: [], statuses: undefined };
  if (text.length > MAX_FILTER_LENGTH) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The filter is ${text.length} characters long; give at most ${MAX_FILTER_LENGTH}.`,
    );
  }
  const reader = new FilterReader(text);
  if (reader.atEnd()) return filter;
  for (;;) {
    readClause(reader, filter);
    if (reader.atEnd()) return filter;
    const joiner = reader.next();
    const word = joiner.text.toLowerCase();
    if (word === 'or') {
      reader.fail(
        joiner,
        'OR is not supported (MLflow does not support it either): run one search per alternative',
      );
    }
    if (word !== 'and') reader.fail(joiner, 'expected `and` between two clauses');
    if (reader.atEnd()) reader.fail(reader.peek(), 'expected a clause after `and`');
  }
}

function readClause(reader: FilterReader, filter: RunFilter): void {
  const { entity, key } = reader.identifier();
  const kind = ENTITIES[entity.text.toLowerCase()];
  if (kind === undefined) {
    reader.fail(
      entity,
      entity.text.toLowerCase() === 'datasets' || entity.text.toLowerCase() === 'dataset'
        ? 'filtering on datasets is not supported'
        : `unknown entity "${entity.text}" (use metrics, params, tags or attributes)`,
    );
  }
  const operator = reader.next();
  const comparator = operator.text.toUpperCase();
  if (['IN', 'NOT', 'IS', 'RLIKE'].includes(comparator)) {
    reader.fail(operator, `${comparator} is not supported`);
  }
  const value = reader.next();
  switch (kind) {
    case 'metrics': {
      if (!(METRIC_COMPARATORS as readonly string[]).includes(comparator)) {
        reader.fail(operator, `metrics compare with > >= < <= = !=, not "${operator.text}"`);
      }
      if (!NUMBER.test(value.text)) reader.fail(value, `metrics.${key} compares with a number`);
      filter.metrics.push({ key, comparator: comparator as MetricComparator, value: Number(value.text) });
      return;
    }
    case 'params':
    case 'tags': {
      if (!(STRING_COMPARATORS as readonly string[]).includes(comparator)) {
        reader.fail(operator, `${kind} compare with = != LIKE ILIKE, not "${operator.text}"`);
      }
      const string = quotedString(reader, value, `${kind}.${key}`);
      const target = kind === 'params' ? filter.params : filter.tagFilters;
      target.push({ key, comparator: comparator as StringComparator, value: string });
      return;
    }
    case 'attributes': {
      if (key !== 'status') {
        reader.fail(
          { text: `${entity.text}.${key}`, at: entity.at },
          `attribute "${key}" is not supported (only attributes.status is)`,
        );
      }
      if (comparator !== '=' && comparator !== '!=') {
        reader.fail(operator, `attributes.status compares with = or !=, not "${operator.text}"`);
      }
      const status = quotedString(reader, value, 'attributes.status');
      if (!STATUSES.includes(status)) {
        reader.fail(value, `unknown status; use one of ${STATUSES.join(', ')}`);
      }
      const allowed = filter.statuses ?? (STATUSES as TrackingRunStatus[]);
      filter.statuses = allowed.filter((s) => (comparator === '=' ? s === status : s !== status));
      return;
    }
  }
}

/** The text of a quoted value token ('single' or "double" quotes, as in MLflow). */
function quotedString(reader: FilterReader, token: Token, what: string): string {
  const quote = token.text[0];
  if (quote !== "'" && quote !== '"') {
    reader.fail(
      token,
      token.text === ''
        ? `${what} needs a value`
        : `${what} compares with a quoted string (e.g. ${what} = '${token.text.slice(0, 20)}')`,
    );
  }
  if (token.text.length < 2 || !token.text.endsWith(quote)) reader.fail(token, `unclosed ${quote}`);
  return token.text.slice(1, -1);
}

/**
 * Parses an order: `start_time` / `attributes.start_time` or `metrics.<key>`, optionally followed
 * by `ASC` or `DESC` (default DESC, as the store's default).
 */
export function parseRunOrder(text: string): RunOrder {
  const match = /^\s*(.+?)(?:\s+(asc|desc))?\s*$/i.exec(text);
  const field = match?.[1] ?? '';
  const ascending = match?.[2]?.toLowerCase() === 'asc';
  if (field === 'start_time' || field === 'attributes.start_time') {
    return { orderBy: { field: 'start_time' }, ascending };
  }
  const metric = /^metrics?\.(?:`([^`]+)`|"([^"]+)"|([A-Za-z0-9_\-./:]+))$/.exec(field);
  const key = metric?.[1] ?? metric?.[2] ?? metric?.[3];
  if (key === undefined) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Cannot order by ${JSON.stringify(text.slice(0, 100))}: order by start_time or metrics.<key>, optionally followed by ASC or DESC (e.g. "metrics.auc DESC").`,
    );
  }
  return { orderBy: { field: 'metric', key }, ascending };
}
