/**
 * lakeloop as another project gets it: `npm pack`, install the tarball into an empty project, run
 * the README's first asset there with the installed CLI (TypeScript definitions loaded by the
 * package), run the tests of a training loop written from the docs (examples/train-and-promote.ts,
 * with the consumer's own vitest and zod) and type-check a consumer of every entry point under the consumer's own tsconfig
 * (skipLibCheck: false, so the shipped declarations themselves are checked). The install gets
 * better-sqlite3's native module as a local prebuild made from our own node_modules (prebuild-install
 * cannot download one here, and compiling it takes ~15 minutes); one file, generous timeouts.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../core/cli-test-helpers.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const MINUTE = 60_000;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
/** The version of a package installed here (the consumer gets the same, from npm's cache). */
const versionOf = (name: string): string =>
  (
    JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

/** Newest modification time of the files under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  return newest;
}

/** dist/ exists and is newer than every source file (else the test builds it). */
function distIsFresh(): boolean {
  try {
    return statSync(join(repoRoot, 'dist', 'index.js')).mtimeMs >= newestMtime(join(repoRoot, 'src'));
  } catch {
    return false;
  }
}

const env: NodeJS.ProcessEnv = {
  ...process.env,
  ONNXRUNTIME_NODE_INSTALL: 'skip',
  npm_config_update_notifier: 'false',
};
const betterSqlite = join(repoRoot, 'node_modules', 'better-sqlite3');
const betterSqliteVersion = (
  JSON.parse(readFileSync(join(betterSqlite, 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * A prebuild-install "local prebuild" of our own compiled better-sqlite3 (same Node ABI, platform
 * and arch), in `dir`: what `npm_config_better_sqlite3_local_prebuilds` points at. The name is
 * prebuild-install's `{name}-v{version}-{runtime}-v{abi}-{platform}{libc}-{arch}.tar.gz` (libc is
 * empty on glibc Linux, macOS and Windows).
 */
async function localBetterSqlitePrebuild(dir: string): Promise<void> {
  const name = `better-sqlite3-v${betterSqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['-czf', join(dir, name), '-C', betterSqlite, 'build/Release/better_sqlite3.node']);
}

let work: string;
let project: string;
let packed: { filename: string; files: { path: string }[] };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'lakeloop-pack-'));
  if (!distIsFresh()) await run(process.execPath, ['scripts/build.js'], { cwd: repoRoot, env });
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', work], { cwd: repoRoot, env });
  packed = (JSON.parse(stdout) as (typeof packed)[])[0] as typeof packed;
  project = join(work, 'project');
  const prebuilds = join(work, 'prebuilds');
  await run('mkdir', [project, prebuilds]);
  await localBetterSqlitePrebuild(prebuilds);
  env['npm_config_better_sqlite3_local_prebuilds'] = prebuilds;
  // The version our prebuild is of (a newer 12.x on the registry would be compiled from source).
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'lakeloop-consumer',
      private: true,
      type: 'module',
      overrides: { 'better-sqlite3': betterSqliteVersion },
    }),
  );
  await run(
    npm,
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      join(work, packed.filename),
      `@types/node@${versionOf('@types/node')}`,
      // What the docs' pipeline author adds: zod for config schemas, vitest for tests.
      `zod@${versionOf('zod')}`,
      `vitest@${versionOf('vitest')}`,
    ],
    { cwd: project, env, timeout: 10 * MINUTE },
  );
}, 15 * MINUTE);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the packed lakeloop', () => {
  it('contains the compiled dist/, the launcher and the README, nothing else of the tree', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/cli/main.js');
    expect(paths).toContain('dist/webassembly-globals.d.ts');
    expect(paths).toContain('bin/lakeloop.js');
    const outside = paths.filter(
      (path) => !/^(dist\/|bin\/|README\.md$|package\.json$|LICENSE)/.test(path) || path.endsWith('.map'),
    );
    expect(outside).toEqual([]);
  });

  it('does not install onnxruntime-node or the example data (optional peer, devDependency)', () => {
    const installed = readdirSync(join(project, 'node_modules'));
    expect(installed).toContain('lakeloop');
    expect(installed).not.toContain('onnxruntime-node');
    expect(installed).not.toContain('vega-datasets');
  });

  it("installs better-sqlite3's native module from the local prebuild (not compiled from source)", () => {
    const native = 'build/Release/better_sqlite3.node';
    const installed = readFileSync(join(project, 'node_modules', 'better-sqlite3', native));
    expect(installed.equals(readFileSync(join(betterSqlite, native)))).toBe(true);
  });

  it(
    "runs the README's first asset with the installed CLI",
    async () => {
      copyFileSync(join(repoRoot, 'examples', 'first-asset.ts'), join(project, 'pipeline.ts'));
      const { stdout } = await run(
        'npx',
        ['--no-install', 'lakeloop', 'materialize', '--defs', 'pipeline.ts', '--select', '*'],
        { cwd: project, env: { ...env, LAKELOOP_HOME: join(project, '.lakeloop') }, timeout: 5 * MINUTE },
      );
      expect(stdout).toMatch(/ok stats/);
      expect(stdout).toMatch(/succeeded\./);
      const { stdout: runs } = await run('npx', ['--no-install', 'lakeloop', 'runs', 'list', '--json'], {
        cwd: project,
        env: { ...env, LAKELOOP_HOME: join(project, '.lakeloop') },
      });
      expect(runs).toContain('SUCCESS');
      // Steps in worker processes load the same TypeScript definitions from the installed package.
      const { stdout: workers } = await run(
        'npx',
        [
          '--no-install',
          'lakeloop',
          'materialize',
          '--defs',
          'pipeline.ts',
          '--select',
          '*',
          '--executor',
          'multi-process',
        ],
        { cwd: project, env: { ...env, LAKELOOP_HOME: join(project, '.lakeloop') }, timeout: 5 * MINUTE },
      );
      expect(workers).toMatch(/ok stats/);
    },
    10 * MINUTE,
  );

  it(
    'runs the tests of a training loop written from the docs (data, config, tracking, registry, promotion)',
    async () => {
      for (const file of ['train-and-promote.ts', 'train-and-promote.test.ts'])
        copyFileSync(join(repoRoot, 'examples', file), join(project, file));
      const { stdout } = await run('npx', ['--no-install', 'vitest', 'run', '--reporter=json'], {
        cwd: project,
        env: { ...env, CI: 'true' },
        timeout: 5 * MINUTE,
      });
      const report = JSON.parse(stdout) as { numPassedTests: number; numFailedTests: number };
      expect(report).toMatchObject({ numPassedTests: 2, numFailedTests: 0 });
    },
    10 * MINUTE,
  );

  it(
    'type-checks a consumer of every entry point with its own tsconfig (skipLibCheck: false)',
    async () => {
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            types: ['node'],
          },
          include: ['consumer.ts', 'pipeline.ts', 'train-and-promote.ts', 'train-and-promote.test.ts'],
        }),
      );
      writeFileSync(
        join(project, 'consumer.ts'),
        [
          "import { defineAsset, Definitions } from 'lakeloop';",
          "import * as data from 'lakeloop/data';",
          "import * as tracking from 'lakeloop/tracking';",
          "import * as ml from 'lakeloop/ml';",
          "import * as server from 'lakeloop/server';",
          "const one = defineAsset({ key: 'one', compute: () => 1 });",
          'export const defs = new Definitions({ assets: [one] });',
          'export const entryPoints = [data, tracking, ml, server].map((m) => Object.keys(m).length);',
          '',
        ].join('\n'),
      );
      const result = await run(process.execPath, [tsc, '-p', project], { cwd: project }).catch(
        (error: unknown) => error as { stdout: string; code: number },
      );
      expect('code' in result ? result.stdout : '').toBe('');
    },
    5 * MINUTE,
  );
});
