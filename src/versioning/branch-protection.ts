/**
 * Branch protection, as lakeFS models it: a repository has a list of branch-name patterns, and a
 * branch matching any of them refuses staging writes (put, delete, reset of its staged changes,
 * hard reset) and commits. Merges into it are allowed — that is the point: changes reach a
 * protected branch only by merging a reviewed branch — and deleting it is allowed (lakeFS v1.84
 * does not refuse it either; the default branch is never deletable anyway).
 *
 * Patterns are lakeFS's glob syntax (gobwas/glob without separators): `*` any characters, `?` one
 * character, `[abc]` / `[!abc]` / `[a-z]` a class, `{a,b}` alternatives, `\` escapes the next
 * character. The rules carry an ETag (lakeFS: checksum of the stored rules; `''` when there are
 * none) for a conditional update with `ifMatch`.
 *
 * @example
 * ```ts
 * const { patterns, etag } = await data.getBranchProtection({ repository: 'flights' });
 * await data.setBranchProtection({ repository: 'flights', patterns: [...patterns, 'release-*'], ifMatch: etag });
 * branchPatternMatches('release-*', 'release-2024'); // true
 * ```
 */
import { createHash } from 'node:crypto';
import { LakeloopError } from '../errors.js';

/** What a protected branch refuses (lakeFS's blocked actions). */
export type ProtectedAction = 'staging_write' | 'commit';

/** A repository's branch protection rules. */
export interface BranchProtection {
  /** Branch-name patterns, in name order. */
  patterns: string[];
  /** Pass it as `ifMatch` to update only if nobody changed the rules since (`''`: there are none). */
  etag: string;
}

/** Options of `DataRepository.setBranchProtection`. */
export interface SetBranchProtectionOptions {
  repository: string;
  /** The complete new list (replaces the old one; `[]` removes every rule). */
  patterns: readonly string[];
  /**
   * Update only if the rules' ETag is this (`''`: only if there are no rules); PRECONDITION_FAILED
   * otherwise. Default: unconditional.
   */
  ifMatch?: string;
}

const PATTERN = /^[A-Za-z0-9_\-*?[\]{},!\\]{1,256}$/;

/** Throws INVALID_ARGUMENT unless every pattern is a usable branch-name glob; returns them sorted, deduplicated. */
export function checkBranchPatterns(patterns: readonly string[]): string[] {
  if (!Array.isArray(patterns)) {
    throw new LakeloopError('INVALID_ARGUMENT', 'Branch protection patterns must be a list of strings.');
  }
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || !PATTERN.test(pattern)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Invalid branch protection pattern ${JSON.stringify(pattern)}: use branch-name characters (letters, digits, '_', '-') and the wildcards * ? [...] {a,b}.`,
        { details: { pattern } },
      );
    }
    globRegExp(pattern);
  }
  return [...new Set<string>(patterns)].sort();
}

/** True when the branch name matches the pattern (the whole name). */
export function branchPatternMatches(pattern: string, branch: string): boolean {
  return globRegExp(pattern).test(branch);
}

/** The first pattern protecting `branch`, or undefined. */
export function protectingPattern(patterns: readonly string[], branch: string): string | undefined {
  return patterns.find((pattern) => branchPatternMatches(pattern, branch));
}

/** The embedded backend's ETag of a rule list: `''` for none, else a SHA-256 of the sorted patterns. */
export function branchProtectionEtag(patterns: readonly string[]): string {
  if (patterns.length === 0) return '';
  return createHash('sha256')
    .update(JSON.stringify([...patterns].sort()))
    .digest('hex');
}

/**
 * PRECONDITION_FAILED: a write or commit on a protected branch (lakeFS answers 403 "cannot write
 * to protected branch" / "cannot commit to protected branch"; the embedded backend checks itself).
 */
export function protectedBranchError(options: {
  repository: string;
  branch: string;
  action: ProtectedAction;
  pattern?: string;
  cause?: unknown;
}): LakeloopError {
  const { repository, branch, action, pattern } = options;
  const what = action === 'commit' ? 'commits' : 'writes (put, delete, reset)';
  const rule = pattern === undefined ? '' : ` by rule "${pattern}"`;
  return new LakeloopError(
    'PRECONDITION_FAILED',
    `Branch "${branch}" of "${repository}" is protected${rule}: it refuses ${what}. Make the change on another branch and merge it in, or remove the rule (\`lakeloop data unprotect ${repository} ${pattern ?? '<pattern>'}\`).`,
    {
      details: {
        repository,
        branch,
        action,
        reason: 'protected_branch',
        ...(pattern === undefined ? {} : { pattern }),
      },
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    },
  );
}

/** PRECONDITION_FAILED: the rules changed since the caller read them (ETag mismatch). */
export function branchProtectionChanged(repository: string, cause?: unknown): LakeloopError {
  return new LakeloopError(
    'PRECONDITION_FAILED',
    `The branch protection rules of "${repository}" changed since they were read; read them again and retry.`,
    { details: { repository }, ...(cause === undefined ? {} : { cause }) },
  );
}

const compiled = new Map<string, RegExp>();

/** A RegExp for a lakeFS branch glob (INVALID_ARGUMENT on an unbalanced class or group). */
function globRegExp(pattern: string): RegExp {
  const cached = compiled.get(pattern);
  if (cached !== undefined) return cached;
  let source = '';
  let groups = 0;
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] ?? '';
    if (char === '\\') {
      index++;
      source += escape(pattern[index] ?? '\\');
    } else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = pattern.indexOf(']', index + 1);
      if (end < 0) throw badPattern(pattern, 'an unclosed [');
      const body = pattern.slice(index + 1, end);
      source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      index = end;
    } else if (char === '{') {
      groups++;
      source += '(?:';
    } else if (char === '}' && groups > 0) {
      groups--;
      source += ')';
    } else if (char === ',' && groups > 0) source += '|';
    else source += escape(char);
  }
  if (groups > 0) throw badPattern(pattern, 'an unclosed {');
  const regexp = new RegExp(`^${source}$`);
  compiled.set(pattern, regexp);
  return regexp;
}

function escape(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

function badPattern(pattern: string, what: string): LakeloopError {
  return new LakeloopError(
    'INVALID_ARGUMENT',
    `Invalid branch protection pattern ${JSON.stringify(pattern)}: it has ${what}.`,
    { details: { pattern } },
  );
}
