/**
 * Validation of names and paths, shared by every backend so they refuse bad input the same way
 * (INVALID_ARGUMENT, saying what is allowed).
 *
 * @example
 * ```ts
 * checkRepositoryName('flights'); // ok
 * checkObjectPath('../etc/passwd'); // throws INVALID_ARGUMENT
 * ```
 */
import { LakeloopError } from '../errors.js';
import type { PageOptions } from './data-repository.js';

/** lakeFS's repository name rule. */
const REPOSITORY_NAME = /^[a-z0-9][a-z0-9-]{2,62}$/;
/** lakeFS's branch rule (`^\w[-\w]*$`), bounded. */
const BRANCH_NAME = /^\w[-\w]{0,255}$/;
/** Tags may also contain dots. */
const TAG_NAME = /^\w[-\w.]{0,255}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Throws INVALID_ARGUMENT unless `name` is a valid repository name (3-63 of a-z, 0-9, `-`). */
export function checkRepositoryName(name: string): string {
  if (!REPOSITORY_NAME.test(name)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid repository name ${JSON.stringify(name)}: use 3 to 63 characters a-z, 0-9 and '-', starting with a letter or digit.`,
      { details: { repository: name } },
    );
  }
  return name;
}

/** Throws INVALID_ARGUMENT unless `name` is a valid branch name (letters, digits, `_`, `-`). */
export function checkBranchName(name: string): string {
  if (!BRANCH_NAME.test(name)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid branch name ${JSON.stringify(name)}: use letters, digits, '_' and '-', starting with a letter, digit or '_'.`,
      { details: { branch: name } },
    );
  }
  return name;
}

/** Throws INVALID_ARGUMENT unless `name` is a valid tag name (letters, digits, `_`, `-`, `.`). */
export function checkTagName(name: string): string {
  if (!TAG_NAME.test(name)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid tag name ${JSON.stringify(name)}: use letters, digits, '_', '-' and '.', starting with a letter, digit or '_'.`,
      { details: { tag: name } },
    );
  }
  return name;
}

/** Throws INVALID_ARGUMENT for an empty ref or one with whitespace/control characters. */
export function checkRef(ref: string): string {
  if (ref === '' || /\s/.test(ref) || CONTROL_CHARACTERS.test(ref) || ref.length > 512) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid ref ${JSON.stringify(ref)}: give a branch, a tag or a commit id.`,
      { details: { ref } },
    );
  }
  return ref;
}

/**
 * Throws INVALID_ARGUMENT for an object path that is empty, absolute, has `.`/`..` segments or
 * control characters, or is longer than 1024 characters.
 */
export function checkObjectPath(path: string): string {
  const problem =
    path === ''
      ? 'it is empty'
      : path.startsWith('/')
        ? 'it is absolute (starts with /)'
        : CONTROL_CHARACTERS.test(path)
          ? 'it contains control characters'
          : path.split('/').some((segment) => segment === '..' || segment === '.')
            ? "it contains a '.' or '..' segment"
            : path.length > 1024
              ? 'it is longer than 1024 characters'
              : undefined;
  if (problem !== undefined) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid object path ${JSON.stringify(path)}: ${problem}. Use a relative path such as 'data/2001-01.parquet'.`,
      { details: { path } },
    );
  }
  return path;
}

/** Checks a prefix used for listing/filtering (may be empty; same rules as a path otherwise). */
export function checkPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '';
  if (prefix.startsWith('/') || CONTROL_CHARACTERS.test(prefix)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid prefix ${JSON.stringify(prefix)}: use a relative path prefix without control characters.`,
      { details: { prefix } },
    );
  }
  return prefix;
}

/** Checks user metadata: string keys (no control characters) and string values. */
export function checkMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (key === '' || CONTROL_CHARACTERS.test(key) || typeof value !== 'string') {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Invalid metadata entry ${JSON.stringify(key)}: keys must be non-empty strings and values strings.`,
        { details: { key } },
      );
    }
    result[key] = value;
  }
  return result;
}

/** An HTTP header-name token: lakeFS carries object metadata keys in `x-lakefs-meta-<key>` headers. */
const OBJECT_METADATA_KEY = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Printable ASCII: what an HTTP header value carries intact. */
const OBJECT_METADATA_VALUE = /^[\x20-\x7e]*$/;

/**
 * Checks object metadata ({@link checkMetadata}, and ASCII only): lakeFS carries it in HTTP headers,
 * where a non-ASCII value (`héllo`) gets a 500 and an emoji a failed request, so both backends
 * refuse it up front with INVALID_ARGUMENT naming the key, before any request. Keys are header
 * tokens (letters, digits, `-_.!#$%&'*+^\`|~`), values printable ASCII; encode anything else
 * yourself (e.g. `encodeURIComponent`). Commit metadata travels in JSON and may be any text.
 *
 * @example
 * ```ts
 * checkObjectMetadata({ source: 'bts', month: '2001-01' }); // returned as is
 * checkObjectMetadata({ Source: 'bts' }); // { source: 'bts' }: keys are case-insensitive, lower-cased
 * checkObjectMetadata({ note: 'héllo' }); // throws INVALID_ARGUMENT naming "note"
 * ```
 */
export function checkObjectMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const checked = checkMetadata(metadata);
  const normalized: Record<string, string> = {};
  for (const [key, value] of Object.entries(checked)) {
    if (!OBJECT_METADATA_KEY.test(key)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Invalid object metadata key ${JSON.stringify(key)}: object metadata must be ASCII (keys of letters, digits and - _ . ! # $ % & ' * + ^ \` | ~, no spaces), because lakeFS carries it in HTTP headers; rename the key.`,
        { details: { key } },
      );
    }
    if (!OBJECT_METADATA_VALUE.test(value)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Invalid value of object metadata key ${JSON.stringify(key)}: object metadata must be ASCII (printable characters only), because lakeFS carries it in HTTP headers; encode the value first (e.g. encodeURIComponent).`,
        { details: { key } },
      );
    }
    // lakeFS carries the keys in HTTP headers, which are case-insensitive: it answers them
    // lower-cased, so every backend stores them lower-cased.
    const lower = key.toLowerCase();
    if (lower in normalized) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Object metadata keys ${JSON.stringify(key)} and another differ only in case: keys are case-insensitive (stored lower-cased); keep one.`,
        { details: { key } },
      );
    }
    normalized[lower] = value;
  }
  return normalized;
}

/** Default page size of list calls. */
export const DEFAULT_PAGE_SIZE = 100;

/** Returns the page size after checking it is 1..1000 (default {@link DEFAULT_PAGE_SIZE}). */
export function checkAmount(options: PageOptions | undefined): number {
  const amount = options?.amount ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > 1000) {
    throw new LakeloopError('INVALID_ARGUMENT', `Invalid page size ${amount}; pass 1 to 1000.`, {
      details: { amount },
    });
  }
  return amount;
}

/** The smallest string greater than every string starting with `prefix` (for range scans). */
export function prefixUpperBound(prefix: string): string {
  return `${prefix}\u{10ffff}`;
}

/** Metadata with keys sorted, so that hashes of it are stable. */
export function sortedMetadata(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Checks a revert's parent number: a whole number >= 1 (or undefined: the default). */
export function checkParentNumber(parentNumber: number | undefined): number | undefined {
  if (parentNumber === undefined) return undefined;
  if (!Number.isSafeInteger(parentNumber) || parentNumber < 1) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid parent number ${JSON.stringify(parentNumber)}: use a whole number >= 1 (1 is the first parent).`,
      { details: { parentNumber } },
    );
  }
  return parentNumber;
}
