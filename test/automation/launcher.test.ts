/**
 * The launchers (`bin/lakeloop.js`, `bin/run-ts.js`) run the program in their own process: a SIGKILL
 * of the pid one started leaves nothing running (no `lakeloop dev` holding its port under init), a
 * program killed by SIGTERM ends with the shell's 143 (128 + 15), and exit codes pass through.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashDefs } from './fixtures/crash-defs-factory.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const linux = process.platform === 'linux';

/** `/proc/<pid>/stat` as [state, parent pid], or undefined when there is no such process. */
function procStat(pid: number): [string, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [fields[0] ?? '', Number(fields[1])];
  } catch {
    return undefined;
  }
}

/** Every process below `pid` (Linux: from /proc; elsewhere none are known). */
function descendants(pid: number): number[] {
  if (!linux) return [];
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const parent = procStat(Number(name))?.[1];
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0;) {
    const next = children.get(queue.shift() ?? -1) ?? [];
    found.push(...next);
    queue = [...queue, ...next];
  }
  return found;
}

/** True while `pid` runs (a zombie waiting for its new parent to reap it does not run). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !linux || (procStat(pid)?.[0] ?? 'Z') !== 'Z';
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** Polls `condition` until it holds, for at most `timeoutMs` (a bounded wait, not a sleep). */
async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The first stdout line of `child` matching `pattern`. */
async function lineMatching(
  child: ChildProcessWithoutNullStreams,
  pattern: RegExp,
): Promise<RegExpExecArray> {
  for await (const line of createInterface({ input: child.stdout })) {
    const match = pattern.exec(line);
    if (match !== null) return match;
  }
  throw new Error(`the process ended without printing a line matching ${String(pattern)}`);
}

function exited(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
}

describe('launchers run the program in their own process', { timeout: 60_000 }, () => {
  let home: string;
  const started: number[] = [];

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-launcher-'));
  });

  afterEach(() => {
    // Only what these tests started, by pid: nothing is left even when an assertion failed.
    for (const pid of started.splice(0)) {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('SIGKILL of `bin/lakeloop.js dev` leaves no process running and nothing listening on its port', async () => {
    const { data } = crashDefs(home);
    await data.createRepository({ name: 'flights' });
    await data.close();
    const child = spawn(
      process.execPath,
      [
        join(root, 'bin', 'lakeloop.js'),
        '--home',
        home,
        'dev',
        '--defs',
        join(here, 'fixtures', 'crash-defs.ts'),
        '--port',
        '0',
      ],
      { cwd: root, env: { ...process.env, LAKELOOP_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const pid = child.pid ?? -1;
    started.push(pid);
    const done = exited(child);
    const match = await lineMatching(child, /API at http:\/\/127\.0\.0\.1:(\d+)\/api/);
    const port = Number(match[1]);
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
    const tree = descendants(pid);
    started.push(...tree);

    process.kill(pid, 'SIGKILL');
    expect(await done).toEqual({ code: null, signal: 'SIGKILL' });
    const gone = await waitUntil(async () => tree.every((p) => !alive(p)) && !(await accepts(port)), 10_000);
    expect({ gone, left: tree.filter(alive), listening: await accepts(port) }).toEqual({
      gone: true,
      left: [],
      listening: false,
    });
  });

  it('a program killed by SIGTERM ends with 143 (128 + 15), and exit codes pass through', async () => {
    const program = join(here, 'fixtures', 'launcher-program.ts');
    const shell = (args: string): ChildProcessWithoutNullStreams =>
      spawn('/bin/sh', ['-c', `"$0" bin/run-ts.js "$1" ${args}; echo "exit=$?"`, process.execPath, program], {
        cwd: root,
        stdio: ['pipe', 'pipe', 'pipe'],
      });

    const waiting = shell('wait');
    started.push(waiting.pid ?? -1);
    const output = createInterface({ input: waiting.stdout })[Symbol.asyncIterator]();
    const ready = /^ready (\d+) (\S+)$/.exec(String((await output.next()).value));
    const programPid = Number(ready?.[1]);
    started.push(programPid);
    expect(ready?.[2]).toMatch(/\/src\/index\.ts$/); // the lakeloop-source condition applies
    process.kill(programPid, 'SIGTERM');
    expect(String((await output.next()).value)).toBe(`exit=${128 + constants.signals.SIGTERM}`);
    expect(128 + constants.signals.SIGTERM).toBe(143);

    const exiting = shell('exit 3');
    started.push(exiting.pid ?? -1);
    expect(
      String((await createInterface({ input: exiting.stdout })[Symbol.asyncIterator]().next()).value),
    ).toBe('exit=3');
  });
});
