/**
 * The checkout's compiled cache (bin/compiled-cache.js), on a small temp "checkout" with a couple
 * of .ts files: built once and reused, rebuilt after an edit, concurrent builds, stale folders
 * removed; and, through the real CLI, that a definitions module importing `lakeloop` shares the
 * CLI's module instances (in-process and in a multi-process step worker).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CACHE_MARKER, cacheKey, ensureCompiledCache } from '../../bin/compiled-cache.js';
import { lakeloop, repoRoot } from '../core/cli-test-helpers.js';
import { tempDir } from '../core/core-test-helpers.js';

describe('compiled cache of src/', () => {
  let dir: ReturnType<typeof tempDir>;
  let root: string;
  let cacheRoot: string;
  beforeEach(() => {
    dir = tempDir();
    root = join(dir.path, 'checkout');
    cacheRoot = join(root, 'node_modules', '.cache', 'lakeloop-cli');
    mkdirSync(join(root, 'src', 'util'), { recursive: true });
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({
        name: 'demo',
        type: 'module',
        exports: { '.': { 'lakeloop-source': './src/index.ts' } },
      }),
    );
    writeFileSync(join(root, 'src', 'index.ts'), "export { greet } from './util/greet.js';\n");
    writeFileSync(
      join(root, 'src', 'util', 'greet.ts'),
      'export const greet = (name: string): string => `hi ${name}`;\n',
    );
    writeFileSync(join(root, 'src', 'util', 'table.json'), '{"rows":1}');
    writeFileSync(join(root, 'src', 'globals.d.ts'), 'declare const x: number;\n');
  });
  afterEach(() => {
    dir.remove();
  });

  const importGreet = async (folder: string): Promise<string> => {
    // A query string per import: the same URL would come from Node's module cache.
    const url = `${pathToFileURL(join(folder, 'src', 'index.js')).href}?${Math.random()}`;
    const module = (await import(url)) as { greet: (name: string) => string };
    return module.greet('ada');
  };

  it('builds a JavaScript mirror of src/ once, with inline source maps, and reuses it', async () => {
    const first = await ensureCompiledCache({ root });
    expect(first.built).toBe(true);
    expect(first.folder).toBe(join(cacheRoot, cacheKey(root)));
    expect(await importGreet(first.folder)).toBe('hi ada');
    const greet = readFileSync(join(first.folder, 'src', 'util', 'greet.js'), 'utf8');
    expect(greet).toContain('sourceMappingURL=data:application/json');
    expect(readFileSync(join(first.folder, 'src', 'util', 'table.json'), 'utf8')).toBe('{"rows":1}');
    expect(existsSync(join(first.folder, 'src', 'globals.d.js'))).toBe(false);
    expect(existsSync(join(first.folder, 'package.json'))).toBe(true);
    const marker = JSON.parse(readFileSync(join(first.folder, CACHE_MARKER), 'utf8')) as unknown;
    expect(marker).toEqual({ source: root, exports: { demo: 'src/index.ts' } });

    const again = await ensureCompiledCache({ root });
    expect(again).toEqual({ folder: first.folder, built: false });
  });

  it('an edited source file gives a new key and a rebuilt folder with the new code', async () => {
    const before = await ensureCompiledCache({ root });
    writeFileSync(
      join(root, 'src', 'util', 'greet.ts'),
      'export const greet = (name: string): string => `hello ${name}`;\n',
    );
    const after = await ensureCompiledCache({ root });
    expect(after.built).toBe(true);
    expect(after.folder).not.toBe(before.folder);
    expect(await importGreet(after.folder)).toBe('hello ada');

    // Same size, only the mtime changed: still a new key.
    const key = cacheKey(root);
    utimesSync(join(root, 'src', 'index.ts'), new Date(2001, 0, 1), new Date(2001, 0, 1));
    expect(cacheKey(root)).not.toBe(key);
  });

  it('two builds at once both succeed and leave one folder, no temp folders', async () => {
    const [a, b] = await Promise.all([ensureCompiledCache({ root }), ensureCompiledCache({ root })]);
    expect(a.folder).toBe(b.folder);
    expect([a.built, b.built].filter(Boolean)).toHaveLength(1);
    expect(readdirSync(cacheRoot)).toEqual([cacheKey(root)]);
    expect(await importGreet(a.folder)).toBe('hi ada');
  });

  it('removes other cache folders once they have not been used for an hour, not before', async () => {
    let now = Date.now();
    const old = await ensureCompiledCache({ root, now: () => now });
    writeFileSync(
      join(root, 'src', 'index.ts'),
      "export { greet } from './util/greet.js';\nexport const v = 2;\n",
    );
    const recent = await ensureCompiledCache({ root, now: () => now });
    expect(readdirSync(cacheRoot).sort()).toEqual(
      [old.folder, recent.folder].map((f) => f.slice(cacheRoot.length + 1)).sort(),
    );

    // The old folder was last used (its marker touched) at the real time; an hour and a bit later:
    now += 61 * 60 * 1000;
    writeFileSync(
      join(root, 'src', 'index.ts'),
      "export { greet } from './util/greet.js';\nexport const v = 3;\n",
    );
    const latest = await ensureCompiledCache({ root, now: () => now });
    expect(readdirSync(cacheRoot)).toEqual([latest.folder.slice(cacheRoot.length + 1)]);
  });
});

describe(
  'a definitions module importing lakeloop, run by the CLI from the cache',
  { timeout: 120_000 },
  () => {
    let dir: ReturnType<typeof tempDir>;
    beforeEach(() => {
      dir = tempDir();
    });
    afterEach(() => {
      dir.remove();
    });
    const defs = join(repoRoot, 'test', 'packaging', 'fixtures', 'shared-instances-defs.ts');

    for (const executor of ['in-process', 'multi-process']) {
      it(`shares the CLI's modules (${executor}): the same LakeloopError class`, async () => {
        const result = await lakeloop([
          '--home',
          join(dir.path, 'home'),
          'materialize',
          '--defs',
          defs,
          '--select',
          'shared',
          '--executor',
          executor,
        ]);
        expect(result.stderr).toBe('');
        expect(result.stdout).toContain('ok shared');
        expect(result.code).toBe(0);
      });
    }
  },
);
