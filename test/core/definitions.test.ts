import { describe, expect, it } from 'vitest';
import {
  AssetGraph,
  dailyPartitions,
  defineAsset,
  defineCheck,
  defineJob,
  Definitions,
  isLakeloopError,
  monthlyPartitions,
  resolveSelection,
  staticPartitions,
} from '../../src/index.js';
import { parseSelection } from '../../src/core/definitions/asset-selection.js';

const noop = (): null => null;

function chain(): Definitions {
  const a = defineAsset({ key: 'a', group: 'data', compute: noop });
  const b = defineAsset({ key: 'b', group: 'data', deps: [a], compute: noop });
  const c = defineAsset({ key: 'c', group: 'ml', deps: [b], compute: noop });
  const d = defineAsset({ key: 'd', group: 'ml', deps: [c], compute: noop });
  const x = defineAsset({ key: 'x', compute: noop });
  return new Definitions({ assets: [d, c, b, a, x] });
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('AssetGraph', () => {
  it('orders assets topologically, keeping declaration order among ready ones', () => {
    const defs = chain();
    expect(defs.graph.order).toEqual(['a', 'b', 'c', 'd', 'x']);
    expect([...defs.graph.ancestors('c')].sort()).toEqual(['a', 'b']);
    expect([...defs.graph.descendants('b')].sort()).toEqual(['c', 'd']);
  });

  it('rejects cycles, naming the keys in the cycle', () => {
    const a = defineAsset({ key: 'a', deps: ['c'], compute: noop });
    const b = defineAsset({ key: 'b', deps: ['a'], compute: noop });
    const c = defineAsset({ key: 'c', deps: ['b'], compute: noop });
    const error = errorOf(() => new AssetGraph([a, b, c]));
    expect(isLakeloopError(error, 'DEFINITION_ERROR')).toBe(true);
    expect(error.message).toMatch(/cycle/i);
    for (const key of ['a', 'b', 'c']) expect(error.message).toContain(key);
  });

  it('rejects missing dependencies and duplicate keys, naming them', () => {
    const missing = errorOf(
      () => new Definitions({ assets: [defineAsset({ key: 'a', deps: ['ghost'], compute: noop })] }),
    );
    expect(missing.message).toContain('"a" -> "ghost"');
    const dup = errorOf(
      () =>
        new Definitions({
          assets: [defineAsset({ key: 'a', compute: noop }), defineAsset({ key: 'a', compute: noop })],
        }),
    );
    expect(dup.message).toContain('Duplicate asset keys: a');
  });

  it('rejects invalid keys and self dependencies', () => {
    expect(() => defineAsset({ key: 'bad key', compute: noop })).toThrow(/Invalid asset key/);
    expect(() => defineAsset({ key: 'a', deps: ['a'], compute: noop })).toThrow(/depends on itself/);
  });
});

describe('AssetSelection', () => {
  const defs = chain();
  it.each([
    ['*', ['a', 'b', 'c', 'd', 'x']],
    ['c', ['c']],
    ['+c', ['a', 'b', 'c']],
    ['b+', ['b', 'c', 'd']],
    ['+b+', ['a', 'b', 'c', 'd']],
    ['group:ml', ['c', 'd']],
    ['x, c', ['c', 'x']],
    ['d,+b', ['a', 'b', 'd']],
  ])('resolves %s', (selection, expected) => {
    expect(resolveSelection(defs.graph, selection)).toEqual(expected);
  });

  it('lists the known assets for an unknown key and the groups for an unknown group', () => {
    const unknown = errorOf(() => defs.select('nope'));
    expect(isLakeloopError(unknown, 'INVALID_ARGUMENT')).toBe(true);
    expect(unknown.message).toContain('known assets: a, b, c, d, x');
    expect(errorOf(() => defs.select('group:zzz')).message).toContain('groups: data, default, ml');
  });

  it('rejects bad syntax', () => {
    expect(() => parseSelection('')).toThrow(/Empty asset selection/);
    expect(() => parseSelection('a++')).toThrow(/Invalid selection term/);
  });
});

describe('partitions', () => {
  it('static keys', () => {
    const p = staticPartitions(['eu', 'us']);
    expect(p.keys()).toEqual(['eu', 'us']);
    expect(p.has('eu')).toBe(true);
    expect(p.has('asia')).toBe(false);
    expect(() => staticPartitions(['a', 'a'])).toThrow(/Duplicate/);
    expect(() => staticPartitions(['a/b'])).toThrow(/Invalid partition key/);
  });

  it('monthly windows with an end, and open-ended up to now', () => {
    const p = monthlyPartitions({ start: '2001-01', end: '2001-07' });
    expect(p.keys()).toEqual(['2001-01', '2001-02', '2001-03', '2001-04', '2001-05', '2001-06']);
    expect(p.has('2001-07')).toBe(false);
    expect(p.timeWindow('2001-02')).toEqual({ start: Date.UTC(2001, 1, 1), end: Date.UTC(2001, 2, 1) });
    const open = monthlyPartitions({ start: '2001-11' });
    expect(open.keys(Date.UTC(2002, 1, 15))).toEqual(['2001-11', '2001-12', '2002-01']);
  });

  it('daily windows', () => {
    const p = dailyPartitions({ start: '2001-02-27' });
    expect(p.keys(Date.UTC(2001, 2, 2, 12))).toEqual(['2001-02-27', '2001-02-28', '2001-03-01']);
    expect(p.has('2001-02-29')).toBe(false);
    expect(() => dailyPartitions({ start: '2001-13-01' })).toThrow(/Invalid partition start/);
  });

  it('rejects a partitioned asset depending on differently partitioned upstream', () => {
    const a = defineAsset({ key: 'a', partitions: staticPartitions(['x']), compute: noop });
    const b = defineAsset({ key: 'b', deps: [a], partitions: staticPartitions(['y']), compute: noop });
    expect(() => new Definitions({ assets: [a, b] })).toThrow(/partitioned differently/);
  });
});

describe('Definitions', () => {
  const a = defineAsset({ key: 'a', resources: ['repo'], compute: noop });

  it('checks resources, checks and jobs', () => {
    expect(() => new Definitions({ assets: [a] })).toThrow(/needs resources repo/);
    const defs = new Definitions({
      assets: [a],
      resources: { repo: {} },
      checks: [defineCheck({ name: 'ok', asset: a, fn: () => true })],
      jobs: [defineJob({ name: 'all', select: '*' })],
      sensors: [{ name: 's' }],
    });
    expect(defs.checksFor('a').map((c) => c.name)).toEqual(['ok']);
    expect(defs.job('all').select).toBe('*');
    expect(() => defs.job('nope')).toThrow(/jobs: all/);
    expect(
      () =>
        new Definitions({
          assets: [a],
          resources: { repo: {} },
          checks: [defineCheck({ name: 'c', asset: 'zz', fn: () => true })],
        }),
    ).toThrow(/unknown asset "zz"/);
    expect(
      () =>
        new Definitions({
          assets: [a],
          resources: { repo: {} },
          jobs: [defineJob({ name: 'j', select: 'zz' })],
        }),
    ).toThrow(/Job "j" has an invalid selection/);
    expect(() => new Definitions({ sensors: [{ name: 's' }, { name: 's' }] })).toThrow(
      /Duplicate sensor names: s/,
    );
  });
});
