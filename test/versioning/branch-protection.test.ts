/**
 * Branch protection: lakeFS's glob patterns, and what the embedded backend does beyond the
 * contract (rules removed let writes through at once, a streamed put is refused before its bytes
 * are written, rules go with their repository and survive reopening).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  branchPatternMatches,
  branchProtectionEtag,
  checkBranchPatterns,
} from '../../src/versioning/branch-protection.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { expectCode } from '../contracts/data-repository.contract.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-protect-'));
  homes.push(home);
  return home;
}

describe('branch protection patterns', () => {
  it('match whole branch names with * ? [...] {a,b} like lakeFS (gobwas/glob)', () => {
    const cases: [string, string, boolean][] = [
      ['main', 'main', true],
      ['main', 'main2', false],
      ['main*', 'main2', true],
      ['stable_*', 'stable_2024-01', true],
      ['stable_*', 'unstable_1', false],
      ['v?', 'v1', true],
      ['v?', 'v10', false],
      ['release-[0-9]', 'release-7', true],
      ['release-[!0-9]', 'release-7', false],
      ['{main,prod}', 'prod', true],
      ['{main,prod}', 'dev', false],
      ['*', 'anything_at-all', true],
    ];
    for (const [pattern, branch, expected] of cases) {
      expect(branchPatternMatches(pattern, branch), `${pattern} ~ ${branch}`).toBe(expected);
    }
  });

  it('are validated, sorted and deduplicated; the ETag of no rules is empty', () => {
    expect(checkBranchPatterns(['b', 'a', 'b'])).toEqual(['a', 'b']);
    expect(() => checkBranchPatterns(['a/b'])).toThrow(/Invalid branch protection pattern/);
    expect(() => checkBranchPatterns(['['])).toThrow(/unclosed \[/);
    expect(() => checkBranchPatterns(['{a,b'])).toThrow(/unclosed \{/);
    expect(() => checkBranchPatterns([''])).toThrow(/Invalid branch protection pattern/);
    expect(branchProtectionEtag([])).toBe('');
    expect(branchProtectionEtag(['a', 'b'])).toBe(branchProtectionEtag(['b', 'a']));
  });
});

describe('branch protection on the embedded backend', () => {
  it('lets writes through once the rule is removed, refuses a streamed put before its bytes, and keeps rules across reopening', async () => {
    const home = newHome();
    let data = new EmbeddedDataRepository({ home });
    await data.createRepository({ name: 'flights' });
    await data.setBranchProtection({ repository: 'flights', patterns: ['ma*'] });
    await data.close();
    data = new EmbeddedDataRepository({ home });
    expect((await data.getBranchProtection({ repository: 'flights' })).patterns).toEqual(['ma*']);
    let pulled = 0;
    const stream = new Readable({
      read() {
        pulled++;
        this.push(pulled > 100 ? null : Buffer.alloc(64 * 1024));
      },
    });
    const error = await expectCode(
      data.putObject({ repository: 'flights', branch: 'main', path: 'big.bin', content: stream }),
      'PRECONDITION_FAILED',
    );
    expect(error.message).toContain('by rule "ma*"');
    expect(pulled).toBeLessThanOrEqual(1);
    await data.setBranchProtection({ repository: 'flights', patterns: [] });
    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.txt', content: 'a' });
    await data.commit({ repository: 'flights', branch: 'main', message: 'a' });
    await data.resetBranch({ repository: 'flights', branch: 'main', ref: 'main~1' });
    await data.close();
  });

  it('drops the rules with their repository (a new one of the same name starts unprotected)', async () => {
    const data = new EmbeddedDataRepository({ home: newHome() });
    await data.createRepository({ name: 'flights' });
    await data.setBranchProtection({ repository: 'flights', patterns: ['main'] });
    await data.deleteRepository('flights');
    await expectCode(data.getBranchProtection({ repository: 'flights' }), 'NOT_FOUND');
    await data.createRepository({ name: 'flights' });
    expect(await data.getBranchProtection({ repository: 'flights' })).toEqual({ patterns: [], etag: '' });
    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.txt', content: 'a' });
    await expectCode(data.setBranchProtection({ repository: 'nope', patterns: ['main'] }), 'NOT_FOUND');
    await data.close();
  });
});
