/**
 * The MLflow filter-string parser: every supported clause, keys in backticks and quotes, status
 * clauses that narrow each other, the order parser, and an INVALID_ARGUMENT that names the token
 * and its position for each unsupported construct.
 */
import { describe, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import { parseRunFilter, parseRunOrder } from '../../src/tracking/run-filter.js';

/** The error message parseRunFilter throws for `text` (fails the test when it parses). */
function filterError(text: string): { message: string; details: unknown } {
  try {
    parseRunFilter(text);
  } catch (error) {
    expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
    return { message: (error as Error).message, details: (error as { details?: unknown }).details };
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseRunFilter', () => {
  it('parses metrics, params, tags and status clauses joined by and', () => {
    expect(
      parseRunFilter(
        "metrics.auc > 0.7 and params.lr = '0.1' AND tags.team = \"ml\" and attributes.status = 'FINISHED'",
      ),
    ).toEqual({
      metrics: [{ key: 'auc', comparator: '>', value: 0.7 }],
      params: [{ key: 'lr', comparator: '=', value: '0.1' }],
      tagFilters: [{ key: 'team', comparator: '=', value: 'ml' }],
      statuses: ['FINISHED'],
    });
  });

  it('gives no clauses for an empty or blank filter', () => {
    expect(parseRunFilter('   ')).toEqual({ metrics: [], params: [], tagFilters: [], statuses: undefined });
  });

  it('reads every comparator, numbers in all forms, and keys in backticks, quotes or with dots', () => {
    const filter = parseRunFilter(
      'metrics.`val loss`<=-1.5e-3 and metric."a b" != 2 and metrics.train.loss>=.5 and metrics.x<3 and ' +
        "params.opt LIKE 'ad%' and param.model ilike '%GBDT%' and tags.`mlflow.runName` != 'x' and tag.k like \"it's\"",
    );
    expect(filter.metrics).toEqual([
      { key: 'val loss', comparator: '<=', value: -0.0015 },
      { key: 'a b', comparator: '!=', value: 2 },
      { key: 'train.loss', comparator: '>=', value: 0.5 },
      { key: 'x', comparator: '<', value: 3 },
    ]);
    expect(filter.params).toEqual([
      { key: 'opt', comparator: 'LIKE', value: 'ad%' },
      { key: 'model', comparator: 'ILIKE', value: '%GBDT%' },
    ]);
    expect(filter.tagFilters).toEqual([
      { key: 'mlflow.runName', comparator: '!=', value: 'x' },
      { key: 'k', comparator: 'LIKE', value: "it's" },
    ]);
  });

  it('narrows the statuses with each status clause, down to none when they contradict', () => {
    expect(parseRunFilter("attributes.status != 'RUNNING' and run.status != 'SCHEDULED'").statuses).toEqual([
      'FINISHED',
      'FAILED',
      'KILLED',
    ]);
    expect(
      parseRunFilter("attributes.status = 'FINISHED' and attributes.status = 'FAILED'").statuses,
    ).toEqual([]);
  });

  it.each([
    [
      'metrics.auc > 0.7 or metrics.auc < 0.2',
      'OR is not supported (MLflow does not support it either)',
      'or',
    ],
    ['(metrics.auc > 0.7)', 'parentheses are not supported', '('],
    ['metrics.auc > 0.7 metrics.f1 > 1', 'expected `and` between two clauses', 'metrics.f1'],
    ['metrics.auc > 0.7 and', 'expected a clause after `and`', ''],
    ["params.lr IN ('0.1')", 'IN is not supported', 'IN'],
    ['params.lr IS NULL', 'IS is not supported', 'IS'],
    ["params.lr > '0.1'", 'params compare with = != LIKE ILIKE', '>'],
    ['params.lr = 0.1', "params.lr compares with a quoted string (e.g. params.lr = '0.1')", '0.1'],
    ["metrics.auc = 'high'", 'metrics.auc compares with a number', "'high'"],
    ['metrics.auc LIKE 1', 'metrics compare with > >= < <= = !=', 'LIKE'],
    ['metrics.auc == 1', 'metrics compare with > >= < <= = !=', '=='],
    [
      "attributes.run_name = 'x'",
      'attribute "run_name" is not supported (only attributes.status is)',
      'attributes.run_name',
    ],
    [
      "attributes.status = 'DONE'",
      'unknown status; use one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED',
      "'DONE'",
    ],
    ["attributes.status LIKE 'F%'", 'attributes.status compares with = or !=', 'LIKE'],
    ["datasets.name = 'x'", 'filtering on datasets is not supported', 'datasets'],
    ["things.x = 'y'", 'unknown entity "things"', 'things'],
    ["status = 'FINISHED'", 'expected an identifier such as metrics.auc', 'status'],
    ["params.lr = '0.1", "unclosed '", "'0.1"],
    ['metrics.`auc > 1', 'unclosed `', '`auc > 1'],
    ['metrics. > 1', 'a key must follow the dot', 'metrics.'],
    ['params.lr =', 'params.lr needs a value', ''],
  ])('refuses %j, naming the token', (text, problem, token) => {
    const { message, details } = filterError(text);
    expect(message).toContain(problem);
    expect(message).toContain('supported: clauses joined by `and`');
    expect((details as { token: string }).token).toBe(token);
    if (token !== '') {
      expect(message).toContain(`at character ${text.indexOf(token) + 1} (${JSON.stringify(token)})`);
    }
  });

  it('refuses filters longer than 4000 characters', () => {
    expect(filterError(`metrics.a > 1${' and metrics.a > 1'.repeat(300)}`).message).toContain(
      'give at most 4000',
    );
  });
});

describe('parseRunOrder', () => {
  it('orders by start time or a metric, descending unless ASC', () => {
    expect(parseRunOrder('start_time')).toEqual({ orderBy: { field: 'start_time' }, ascending: false });
    expect(parseRunOrder('attributes.start_time ASC')).toEqual({
      orderBy: { field: 'start_time' },
      ascending: true,
    });
    expect(parseRunOrder('metrics.auc desc')).toEqual({
      orderBy: { field: 'metric', key: 'auc' },
      ascending: false,
    });
    expect(parseRunOrder('metrics.`val loss` asc')).toEqual({
      orderBy: { field: 'metric', key: 'val loss' },
      ascending: true,
    });
  });

  it('refuses other fields, saying what it orders by', () => {
    expect(() => parseRunOrder('params.lr')).toThrow(/order by start_time or metrics.<key>/);
  });
});
