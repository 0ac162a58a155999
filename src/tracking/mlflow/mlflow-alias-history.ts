/**
 * Alias history on an MLflow server, which keeps none: each move is a registered-model tag
 * `lakeloop.alias_history.<seq>.<nonce>` whose value is a small JSON record
 * (`{"alias","from","to","at","by","reason"}`). `seq` (8 digits) orders the moves; the random
 * `nonce` keeps two concurrent moves that picked the same `seq` from overwriting each other. The
 * value stays within 5000 characters (the model-registry tag limit of older MLflow servers): a
 * longer reason is cut and ends with `…`.
 *
 * @example
 * ```ts
 * const tag = aliasMoveTag({ seq: 3, move });
 * await client.post('registered-models/set-tag', { name, key: tag.key, value: tag.value }, Empty);
 * ```
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AliasMove } from '../tracking-types.js';

/** The prefix of the history tags; such tags are hidden from `RegisteredModel.tags`. */
export const ALIAS_HISTORY_TAG_PREFIX = 'lakeloop.alias_history.';

/** Longest tag value written (older MLflow servers refuse model tags over 5000 characters). */
export const MAX_ALIAS_HISTORY_VALUE = 5000;

const MoveValue = z.object({
  alias: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  at: z.number(),
  by: z.string(),
  reason: z.string(),
});

const KEY_PATTERN = /^lakeloop\.alias_history\.(\d+)\.[0-9a-f]+$/;

/** The tag recording `move` as the `seq`-th move of its model. */
export function aliasMoveTag(options: { seq: number; move: Omit<AliasMove, 'name'> }): {
  key: string;
  value: string;
} {
  const { move } = options;
  const key = `${ALIAS_HISTORY_TAG_PREFIX}${String(options.seq).padStart(8, '0')}.${randomBytes(4).toString('hex')}`;
  const record = (reason: string): string =>
    JSON.stringify({
      alias: move.alias,
      from: move.fromVersion ?? null,
      to: move.toVersion ?? null,
      at: move.timestamp,
      by: move.by.slice(0, 250),
      reason,
    });
  let reason = move.reason;
  let value = record(reason);
  while (value.length > MAX_ALIAS_HISTORY_VALUE) {
    // Cut by at least what the JSON is over (escapes make the JSON longer than the text).
    reason = reason.slice(0, Math.max(0, reason.length - (value.length - MAX_ALIAS_HISTORY_VALUE) - 1));
    value = record(`${reason}…`);
  }
  return { key, value };
}

/** The highest `seq` among a model's tags (0 when it has no history). */
export function lastAliasMoveSeq(tags: readonly { key: string }[]): number {
  let last = 0;
  for (const tag of tags) {
    const match = KEY_PATTERN.exec(tag.key);
    if (match?.[1] !== undefined) last = Math.max(last, Number(match[1]));
  }
  return last;
}

/** The moves recorded in a model's tags, newest first; tags that do not parse are ignored. */
export function aliasMovesFromTags(
  name: string,
  tags: readonly { key: string; value: string }[],
): AliasMove[] {
  const moves: { seq: number; move: AliasMove }[] = [];
  for (const tag of tags) {
    const match = KEY_PATTERN.exec(tag.key);
    if (match?.[1] === undefined) continue;
    let parsed: z.infer<typeof MoveValue>;
    try {
      parsed = MoveValue.parse(JSON.parse(tag.value));
    } catch {
      continue;
    }
    moves.push({
      seq: Number(match[1]),
      move: {
        name,
        alias: parsed.alias,
        fromVersion: parsed.from ?? undefined,
        toVersion: parsed.to ?? undefined,
        timestamp: parsed.at,
        reason: parsed.reason,
        by: parsed.by,
      },
    });
  }
  return moves
    .sort((a, b) => b.seq - a.seq || b.move.timestamp - a.move.timestamp)
    .map((entry) => entry.move);
}
