/** The MLflow encoding of alias moves as registered-model tags: order, limits, unparsable tags. */
import { describe, expect, it } from 'vitest';
import {
  aliasMovesFromTags,
  aliasMoveTag,
  lastAliasMoveSeq,
  MAX_ALIAS_HISTORY_VALUE,
} from '../../src/tracking/mlflow/mlflow-alias-history.js';

const move = {
  alias: 'champion',
  fromVersion: '1',
  toVersion: '2',
  timestamp: 1_000,
  reason: 'better',
  by: 'ci',
};

describe('alias history tags', () => {
  it('round-trips moves, newest (highest seq) first, ignoring other and broken tags', () => {
    const tags = [
      aliasMoveTag({ seq: 1, move: { ...move, fromVersion: undefined, toVersion: '1' } }),
      aliasMoveTag({ seq: 2, move }),
      aliasMoveTag({ seq: 3, move: { ...move, fromVersion: '2', toVersion: undefined, timestamp: 2_000 } }),
      { key: 'team', value: 'ml' },
      { key: 'lakeloop.alias_history.00000009.beef', value: 'not json' },
    ];
    expect(tags[1]?.key).toMatch(/^lakeloop\.alias_history\.00000002\.[0-9a-f]{8}$/);
    expect(lastAliasMoveSeq(tags)).toBe(9);
    expect(aliasMovesFromTags('m', tags).map((m) => [m.fromVersion, m.toVersion])).toEqual([
      ['2', undefined],
      ['1', '2'],
      [undefined, '1'],
    ]);
    expect(aliasMovesFromTags('m', tags)[1]).toEqual({ name: 'm', ...move });
  });

  it('two moves that picked the same seq get different keys', () => {
    expect(aliasMoveTag({ seq: 4, move }).key).not.toBe(aliasMoveTag({ seq: 4, move }).key);
  });

  it('cuts a long reason (escapes included) to stay within the tag value limit', () => {
    const reason = `${'"\\'.repeat(3000)}${'é'.repeat(3000)}`;
    const tag = aliasMoveTag({ seq: 1, move: { ...move, reason, by: 'x'.repeat(400) } });
    expect(tag.value.length).toBeLessThanOrEqual(MAX_ALIAS_HISTORY_VALUE);
    const [parsed] = aliasMovesFromTags('m', [tag]);
    expect(parsed?.reason.endsWith('…')).toBe(true);
    expect(reason.startsWith(parsed?.reason.slice(0, -1) ?? 'missing')).toBe(true);
    expect(parsed?.by).toHaveLength(250);
  });
});
