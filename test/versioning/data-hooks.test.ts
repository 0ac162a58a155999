/**
 * Pre-commit / pre-merge hooks of the embedded backend: a blocking check refuses and nothing
 * changes; a passing check sees the would-be commit and that commit lands; WARN and non-blocking
 * failures are reported and do not block; a merge hook sees the merged state; a process killed
 * (SIGKILL) during a check commits nothing and keeps the staged changes; the factory, the data
 * resource and the lakeFS refusal.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defineCheck } from '../../src/core/definitions/check-definition.js';
import type { CheckResult } from '../../src/core/definitions/check-definition.js';
import { createDataHookRunner, dataHooksOf, defineDataHook } from '../../src/versioning/data-hooks.js';
import type { DataHook, DataHookReport, DataSnapshot } from '../../src/versioning/data-hooks.js';
import { createDataRepository } from '../../src/versioning/data-repository-factory.js';
import { dataRepositoryResource } from '../../src/versioning/data-resource.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { expectCode } from '../contracts/data-repository.contract.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'data-hook-child.ts');
const homes: string[] = [];
const opened: EmbeddedDataRepository[] = [];

afterEach(async () => {
  for (const data of opened.splice(0)) await data.close();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-hooks-'));
  homes.push(home);
  return home;
}

function open(home: string, hooks: DataHook[] = [], reports: DataHookReport[] = []): EmbeddedDataRepository {
  const hookRunner = createDataHookRunner(hooks, { onReport: (report) => reports.push(report) });
  const data = new EmbeddedDataRepository({ home, ...(hookRunner === undefined ? {} : { hookRunner }) });
  opened.push(data);
  return data;
}

/** A check on the would-be state that records what it saw. */
function recordingCheck(
  name: string,
  seen: DataSnapshot[],
  result: (snapshot: DataSnapshot) => Promise<CheckResult | boolean>,
  blocking = true,
) {
  return defineCheck<DataSnapshot>({
    name,
    asset: 'flights_data',
    blocking,
    description: `${name} on the data`,
    fn: async (_ctx, snapshot) => {
      seen.push(snapshot);
      return result(snapshot);
    },
  });
}

async function headOf(data: EmbeddedDataRepository, repository: string, branch = 'main'): Promise<string> {
  return (await data.getBranch({ repository, branch })).commitId;
}

describe('data hooks (embedded backend)', () => {
  it('a failing blocking check refuses the commit with CHECK_FAILED; head, staging and the commit graph are unchanged', async () => {
    const home = newHome();
    const seen: DataSnapshot[] = [];
    const notEmpty = recordingCheck('not_empty', seen, async (snapshot) => {
      const text = await snapshot.readText('months/2001-07.csv');
      return { passed: text.split('\n').length > 2, metadata: { lines: text.split('\n').length } };
    });
    const data = open(home, [
      defineDataHook({ name: 'quality', repository: 'flights', branches: ['main'], checks: [notEmpty] }),
    ]);
    await data.createRepository({ name: 'flights' });
    const head = await headOf(data, 'flights');
    await data.putObject({
      repository: 'flights',
      branch: 'main',
      path: 'months/2001-07.csv',
      content: 'a,b\n',
    });

    const error = await expectCode(
      data.commit({ repository: 'flights', branch: 'main', message: 'July' }),
      'CHECK_FAILED',
    );
    expect(error.message).toContain('check "not_empty"');
    expect(error.message).toContain('hook "quality"');
    expect(error.message).toContain('"lines":2');
    expect((error as { details?: unknown }).details).toMatchObject({
      repository: 'flights',
      branch: 'main',
      event: 'pre-commit',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headCommitId).toBe(head);
    expect(await headOf(data, 'flights')).toBe(head);
    const staged = await data.diffUncommitted({ repository: 'flights', branch: 'main' });
    expect(staged.results.map((entry) => entry.path)).toEqual(['months/2001-07.csv']);
    // The would-be commit was discarded: it cannot be read any more.
    await expectCode(data.getCommit({ repository: 'flights', ref: seen[0]?.commitId ?? '' }), 'NOT_FOUND');
    expect((await data.log({ repository: 'flights', ref: 'main' })).results.map((c) => c.id)).toEqual([head]);
  });

  it('a passing check sees the staged state as a pinned commit, and exactly that commit lands', async () => {
    const home = newHome();
    const seen: DataSnapshot[] = [];
    const reports: DataHookReport[] = [];
    const check = recordingCheck('sees_staged', seen, async (snapshot) => {
      const changes = await snapshot.changes();
      const table = await snapshot.readTable('rows.csv');
      return { passed: table.rowCount === 2 && changes.length === 1 };
    });
    const data = open(home, [defineDataHook({ name: 'q', checks: [check] })], reports);
    await data.createRepository({ name: 'flights' });
    await data.putObject({
      repository: 'flights',
      branch: 'main',
      path: 'rows.csv',
      content: 'x,y\n1,2\n3,4\n',
    });
    const commit = await data.commit({ repository: 'flights', branch: 'main', message: 'rows' });
    expect(seen[0]?.commitId).toBe(commit.id);
    expect(seen[0]?.uri('rows.csv')).toBe(`lakefs://flights/${commit.id}/rows.csv`);
    expect(await headOf(data, 'flights')).toBe(commit.id);
    expect((await data.diffUncommitted({ repository: 'flights', branch: 'main' })).results).toEqual([]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ refused: false, commitId: commit.id, event: 'pre-commit' });
  });

  it('WARN and non-blocking failures are reported and do not block', async () => {
    const home = newHome();
    const seen: DataSnapshot[] = [];
    const reports: DataHookReport[] = [];
    const warn = recordingCheck('warns', seen, () => Promise.resolve({ passed: false, severity: 'WARN' }));
    const soft = recordingCheck('soft_error', seen, () => Promise.resolve(false), false);
    const throws = recordingCheck('throws', seen, () => Promise.reject(new Error('boom')), false);
    const data = open(home, [defineDataHook({ name: 'soft', checks: [warn, soft, throws] })], reports);
    await data.createRepository({ name: 'flights' });
    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.txt', content: 'a' });
    const commit = await data.commit({ repository: 'flights', branch: 'main', message: 'a' });
    expect(await headOf(data, 'flights')).toBe(commit.id);
    expect(reports[0]?.refused).toBe(false);
    expect(reports[0]?.evaluations.map((e) => [e.checkName, e.passed, e.severity, e.blocking])).toEqual([
      ['warns', false, 'WARN', true],
      ['soft_error', false, 'ERROR', false],
      ['throws', false, 'ERROR', false],
    ]);
    expect(reports[0]?.evaluations[2]?.metadata).toEqual({ error: 'boom' });
  });

  it('a throwing blocking check refuses like a failing one', async () => {
    const home = newHome();
    const throws = recordingCheck('throws', [], () => Promise.reject(new Error('cannot read')));
    const data = open(home, [defineDataHook({ name: 'strict', checks: [throws] })]);
    await data.createRepository({ name: 'flights' });
    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.txt', content: 'a' });
    const error = await expectCode(
      data.commit({ repository: 'flights', branch: 'main', message: 'a' }),
      'CHECK_FAILED',
    );
    expect(error.message).toContain('cannot read');
  });

  it('a pre-merge hook sees the merged state and can refuse the merge', async () => {
    const home = newHome();
    const seen: DataSnapshot[] = [];
    let allow = false;
    const both = recordingCheck('sees_both_sides', seen, async (snapshot) => ({
      passed: allow,
      metadata: {
        main: await snapshot.readText('main.txt'),
        dev: await snapshot.readText('dev.txt'),
        changed: (await snapshot.changes()).map((entry) => entry.path),
      },
    }));
    const setupData = open(home);
    await setupData.createRepository({ name: 'flights' });
    await setupData.putObject({ repository: 'flights', branch: 'main', path: 'base.txt', content: 'base' });
    await setupData.commit({ repository: 'flights', branch: 'main', message: 'base' });
    await setupData.createBranch({ repository: 'flights', name: 'dev', source: 'main' });
    await setupData.putObject({ repository: 'flights', branch: 'dev', path: 'dev.txt', content: 'from dev' });
    await setupData.commit({ repository: 'flights', branch: 'dev', message: 'dev' });
    await setupData.putObject({
      repository: 'flights',
      branch: 'main',
      path: 'main.txt',
      content: 'from main',
    });
    await setupData.commit({ repository: 'flights', branch: 'main', message: 'main' });

    const data = open(home, [
      defineDataHook({
        name: 'gate',
        repository: 'flights',
        branches: ['main'],
        events: ['pre-merge'],
        checks: [both],
      }),
    ]);
    const head = await headOf(data, 'flights');
    const error = await expectCode(
      data.merge({ repository: 'flights', source: 'dev', destination: 'main' }),
      'CHECK_FAILED',
    );
    expect(error.message).toMatch(/merge into flights\/main was refused/);
    expect(seen[0]).toMatchObject({ event: 'pre-merge', source: 'dev', headCommitId: head });
    expect((error as { details?: Record<string, unknown> }).details?.['evaluations']).toMatchObject([
      { metadata: { main: 'from main', dev: 'from dev', changed: ['dev.txt'] } },
    ]);
    expect(await headOf(data, 'flights')).toBe(head);

    allow = true;
    const merged = await data.merge({ repository: 'flights', source: 'dev', destination: 'main' });
    expect(merged.reference).toBe(seen[1]?.commitId);
    expect(await headOf(data, 'flights')).toBe(merged.reference);
    // pre-merge only: a commit on main runs no check
    await data.putObject({ repository: 'flights', branch: 'main', path: 'later.txt', content: 'x' });
    await data.commit({ repository: 'flights', branch: 'main', message: 'later' });
    expect(seen).toHaveLength(2);
  });

  it('runs only the hooks watching the repository, branch pattern and event', async () => {
    const home = newHome();
    const seen: DataSnapshot[] = [];
    const check = recordingCheck('any', seen, () => Promise.resolve(true));
    const data = open(home, [
      defineDataHook({ name: 'releases', repository: 'flights', branches: ['release-*'], checks: [check] }),
    ]);
    await data.createRepository({ name: 'flights' });
    await data.createRepository({ name: 'other' });
    await data.createBranch({ repository: 'flights', name: 'release-1', source: 'main' });
    await data.createBranch({ repository: 'other', name: 'release-1', source: 'main' });
    for (const [repository, branch] of [
      ['flights', 'main'],
      ['other', 'release-1'],
      ['flights', 'release-1'],
    ] as const) {
      await data.commit({ repository, branch, message: 'x', allowEmpty: true });
    }
    expect(seen.map((s) => `${s.repository}/${s.branch}`)).toEqual(['flights/release-1']);
  });

  it('refuses hook checks that declare resources', () => {
    const withResources = defineCheck<DataSnapshot, readonly ['tracking']>({
      name: 'needs',
      asset: 'flights_data',
      resources: ['tracking'],
      fn: () => true,
    });
    expect(() => defineDataHook({ name: 'bad', checks: [withResources] })).toThrow(/declares resources/);
  });

  it('leaves head and staging intact when killed (SIGKILL) while a check runs', async () => {
    for (const mode of ['commit', 'merge'] as const) {
      const home = newHome();
      const data = open(home);
      await data.createRepository({ name: 'crash' });
      await data.putObject({ repository: 'crash', branch: 'main', path: 'a.txt', content: 'a' });
      if (mode === 'merge') {
        await data.commit({ repository: 'crash', branch: 'main', message: 'a' });
        await data.createBranch({ repository: 'crash', name: 'dev', source: 'main' });
        await data.putObject({ repository: 'crash', branch: 'dev', path: 'b.txt', content: 'b' });
        await data.commit({ repository: 'crash', branch: 'dev', message: 'b' });
        await data.putObject({ repository: 'crash', branch: 'main', path: 'c.txt', content: 'c' });
        await data.commit({ repository: 'crash', branch: 'main', message: 'c' });
      }
      const head = await headOf(data, 'crash');
      const staged = (await data.diffUncommitted({ repository: 'crash', branch: 'main' })).results;
      const child = spawn(
        process.execPath,
        ['--conditions=lakeloop-source', '--import', 'tsx', CHILD, home, 'crash', mode],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => {
        child.on('exit', (_code, signal) => {
          resolve(signal);
        });
      });
      const candidate = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.startsWith('checking ')) resolve(line.slice('checking '.length));
        });
        void exited.then(() => {
          reject(new Error(`child exited before its check ran: ${stderr}`));
        });
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(await headOf(data, 'crash')).toBe(head);
      expect((await data.diffUncommitted({ repository: 'crash', branch: 'main' })).results).toEqual(staged);
      expect(
        (await data.log({ repository: 'crash', ref: 'main', amount: 1000 })).results.map((c) => c.id),
      ).not.toContain(candidate);
      // The repository keeps working: the same change commits (or merges) once the check is gone.
      if (mode === 'commit') {
        const commit = await data.commit({ repository: 'crash', branch: 'main', message: 'after the crash' });
        expect(commit.parents).toEqual([head]);
      } else {
        const merged = await data.merge({ repository: 'crash', source: 'dev', destination: 'main' });
        expect(merged.kind).toBe('merge');
      }
    }
  });
});

describe('data hooks: how they are registered', () => {
  it('openDataRepository / createDataRepository take hooks for the embedded backend', async () => {
    const home = newHome();
    const reports: DataHookReport[] = [];
    const refuse = recordingCheck('refuse', [], () => Promise.resolve({ passed: false, description: 'no' }));
    const data = createDataRepository({
      home,
      backend: 'embedded',
      hooks: [defineDataHook({ name: 'h', checks: [refuse] })],
      onHookReport: (report) => reports.push(report),
    });
    try {
      await data.createRepository({ name: 'flights' });
      await expectCode(
        data.commit({ repository: 'flights', branch: 'main', message: 'x', allowEmpty: true }),
        'CHECK_FAILED',
      );
      expect(reports[0]?.refused).toBe(true);
    } finally {
      await data.close();
    }
  });

  it('a lakeFS client given hooks is refused, naming lakeFS actions', () => {
    const hook = defineDataHook({
      name: 'h',
      checks: [recordingCheck('c', [], () => Promise.resolve(true))],
    });
    expect(() =>
      createDataRepository({
        backend: 'lakefs',
        lakefs: { endpoint: 'http://127.0.0.1:1', accessKeyId: 'AKIATEST', secretAccessKey: 'secret' },
        hooks: [hook],
      }),
    ).toThrow(/embedded backend only.*actions/);
  });

  it('a data resource carries its hooks (for the CLI) and fills in its repository', () => {
    const hook = defineDataHook({
      name: 'h',
      checks: [recordingCheck('c', [], () => Promise.resolve(true))],
    });
    const resource = dataRepositoryResource({ repository: 'flights', hooks: [hook] });
    const found = dataHooksOf({ data: resource, plain: 42, nothing: null });
    expect(found.map((h) => [h.name, h.repository])).toEqual([['h', 'flights']]);
  });
});
