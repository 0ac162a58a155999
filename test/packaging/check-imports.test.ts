/** scripts/check-imports.js (run by `npm run lint`) finds planted cycles and layer violations. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../core/cli-test-helpers.js';

const run = promisify(execFile);
const script = join(repoRoot, 'scripts', 'check-imports.js');
let dir: string | undefined;

/** A temp src/ folder holding `files` (path → source). */
function srcTree(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'lakeloop-imports-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Runs the script on `src`: its exit code and stderr lines. */
async function check(src: string): Promise<{ code: number; lines: string[] }> {
  const result = await run(process.execPath, [script, src]).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: unknown) => error as { code: number; stderr: string },
  );
  return { code: result.code, lines: result.stderr.split('\n').filter((line) => line !== '') };
}

afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('check-imports', () => {
  it("passes on lakeloop's own src/", async () => {
    expect(await check(join(repoRoot, 'src'))).toEqual({ code: 0, lines: [] });
  });

  it('reports a cycle of value imports, with its path', async () => {
    const src = srcTree({
      'core/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'core/b.ts': "import { c } from './c.js';\nexport const b = c;\n",
      'core/c.ts': "import {\n  a,\n} from './a.js';\nexport const c = () => a;\n",
    });
    const { code, lines } = await check(src);
    expect(code).toBe(1);
    expect(lines[0]).toBe(
      'check-imports: cycle: src/core/a.ts -> src/core/b.ts -> src/core/c.ts -> src/core/a.ts',
    );
  });

  it('ignores type-only imports (erased, no runtime cycle)', async () => {
    const src = srcTree({
      'core/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'core/b.ts': "import { type A } from './a.js';\nexport interface B { a?: A }\nexport const b = 1;\n",
    });
    expect((await check(src)).code).toBe(0);
  });

  it('reports core importing an upper layer, even lazily', async () => {
    const src = srcTree({
      'core/daemon/x.ts': "export const load = () => import('../../tracking/store.js');\n",
      'tracking/store.ts': 'export const store = 1;\n',
    });
    const { code, lines } = await check(src);
    expect(code).toBe(1);
    expect(lines[0]).toMatch(
      /^check-imports: layer: src\/core\/daemon\/x\.ts imports src\/tracking\/store\.ts/,
    );
  });
});
