/**
 * One crash trial of the flight-delays loop: a fresh instance home with the flights-2k months, a
 * child `lakeloop daemon` (or `lakeloop dev`) with `--orphaned-runs reexecute`, the months
 * committed by a child importer (sometimes two at once), and SIGKILLs at seeded points — while a
 * run is in `load_data`, `preprocess`, `train_model`, `evaluate_model` or `promote_model` (a step
 * of milliseconds: the kill mostly lands just after it), between runs, while the daemon starts,
 * or the importer in the middle of a commit — each followed by a restart, until every commit has
 * been trained or the kill budget is spent. Then one clean daemon runs until every
 * commit has a successful run and nothing is in progress, is stopped with SIGTERM, and the
 * invariants of instance-invariants.ts are checked.
 *
 * Everything random comes from the seed (stage, delays, child kind, bursts), so a failing trial
 * is replayed with its seed (timing still varies: the kill points are the same stages, not the
 * same instructions).
 *
 * @example
 * ```ts
 * const result = await runCrashTrial({ seed: 7, home: mkdtempSync(join(tmpdir(), 'trial-')) });
 * console.log(result.kills, result.violations);
 * ```
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DATA_COMMIT_TAG, Instance } from 'lakeloop';
import type { RunRecord, RunStatus } from 'lakeloop';
import { EmbeddedDataRepository } from 'lakeloop/data';
import { ensureRepository, prepareSource } from '../../pipelines/flight-delays/demo-data.js';
import { checkInvariants } from './instance-invariants.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const DEFS = join(here, 'crash-defs.ts');
const IMPORTER = join(here, 'import-months.ts');

/** Where a child is SIGKILLed (the target the PRNG picks). */
export const KILL_STAGES = [
  'startup',
  'load_data',
  'preprocess',
  'train_model',
  'evaluate_model',
  'promote_model',
  'between_runs',
  'import',
] as const;
/** One of {@link KILL_STAGES}. */
export type KillStage = (typeof KILL_STAGES)[number];

/** Re-executions the daemon queues in one chain (MAX_AUTOMATIC_REEXECUTIONS): the trial never kills the last one. */
const MAX_RETRY = 3;
const RETRY_TAG = 'lakeloop/retry_number';
const FAILURE_HOOKS_TAG = 'lakeloop/failure_hooks';
const ACTIVE: readonly RunStatus[] = ['QUEUED', 'STARTING', 'STARTED', 'CANCELING'];
const OWNED: readonly RunStatus[] = ['STARTING', 'STARTED', 'CANCELING'];
/** What `lakeloop daemon` / `lakeloop dev` print once started. */
const READY_LINE = /^lakeloop (daemon \S+:|dev: API at)/;
/** Settling gives up after this long with nothing in progress (sensor interval 1 s, recovery every 200 ms). */
const QUIET_MS = 8_000;

/** A kill that happened. */
export interface TrialKill {
  /** What the trial aimed at. */
  target: KillStage;
  /** What the child was doing when the signal went out (from the event log). */
  observed: string;
  child: 'daemon' | 'dev' | 'import';
  atMs: number;
}

/** Options of {@link runCrashTrial}. */
export interface CrashTrialOptions {
  seed: number;
  /** A fresh, empty folder. */
  home: string;
  /** Child logs and the importer's temporary folders. Default `<home>-work` (remove it with the home). */
  workDir?: string;
  /** A folder for the converted flights-2k Parquet file, shared across trials. Default the work folder. */
  sourceDir?: string;
  /** Kills before the clean run. Default 5. */
  maxKills?: number;
  /** Bound of the whole trial before the clean phase, ms. Default 120 000. */
  chaosTimeoutMs?: number;
  /** Bound of the clean daemon's run to completion, ms. Default 90 000. */
  settleTimeoutMs?: number;
  /** Progress lines. Default none. */
  log?: (line: string) => void;
}

/** What a trial did and found. */
export interface CrashTrialResult {
  seed: number;
  home: string;
  kills: TrialKill[];
  /** Kills the trial held back (the run in progress was the last re-execution of its chain). */
  spared: number;
  commits: string[];
  /** Runs in the instance at the end, by status. */
  runs: Record<string, number>;
  violations: string[];
  seconds: number;
}

/** mulberry32: a small seeded PRNG, uniform [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Child {
  kind: 'daemon' | 'dev' | 'import';
  process: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: Promise<boolean>;
  alive: () => boolean;
}

function childEnv(home: string, tmp: string): NodeJS.ProcessEnv {
  // embedded backends only, and the flights-2k configuration of crash-defs.ts
  const inherited = Object.entries(process.env).filter(
    ([key]) => !/^(MLFLOW_|LAKEFS_|LAKELOOP_FLIGHTS_)/.test(key),
  );
  return { ...Object.fromEntries(inherited), LAKELOOP_HOME: home, TMPDIR: tmp };
}

function startChild(
  kind: Child['kind'],
  args: string[],
  options: { home: string; tmp: string; logFile: WriteStream },
): Child {
  // The real entry (not bin/lakeloop.js), as test/automation/daemon-crash.test.ts does.
  const child = spawn(process.execPath, ['--conditions=lakeloop-source', '--import', 'tsx', ...args], {
    cwd: root,
    env: childEnv(options.home, options.tmp),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
  });
  child.stderr.on('data', (chunk: Buffer) => options.logFile.write(chunk));
  const ready = new Promise<boolean>((resolve) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.on('line', (line) => {
      lines.push(line);
      options.logFile.write(`[${kind} ${String(child.pid)}] ${line}\n`);
      if (READY_LINE.test(line)) resolve(true);
    });
    rl.on('close', () => {
      resolve(false);
    });
  });
  return { kind, process: child, lines, exited, ready, alive: () => !exitedFlag };
}

/** Runs one crash trial; never throws for a violation (they are in the result). */
export async function runCrashTrial(options: CrashTrialOptions): Promise<CrashTrialResult> {
  const started = performance.now();
  const { home, seed } = options;
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const between = (lo: number, hi: number): number => Math.floor(lo + random() * (hi - lo + 1));
  const log = options.log ?? (() => undefined);
  const maxKills = options.maxKills ?? 5;
  const violations: string[] = [];
  const kills: TrialKill[] = [];
  let spared = 0;

  mkdirSync(home, { recursive: true });
  const work = options.workDir ?? `${home}-work`;
  const tmp = join(work, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const logFile = createWriteStream(join(work, 'children.log'));
  const source = await prepareSource({
    dataset: 'flights-2k',
    workDir: options.sourceDir ?? work,
  });
  {
    const data = new EmbeddedDataRepository({ home });
    try {
      await ensureRepository(data, 'flights');
    } finally {
      await data.close();
    }
  }
  const instance = await Instance.open({ home, recoverDeadRuns: false });
  const t0 = performance.now();
  const at = (): number => Math.round(performance.now() - t0);

  const daemonArgs = (kind: 'daemon' | 'dev'): string[] => [
    join(root, 'src', 'cli', 'main.ts'),
    ...(kind === 'dev' ? ['dev', '--port', '0'] : ['daemon']),
    '--defs',
    DEFS,
    '--orphaned-runs',
    'reexecute',
    '--heartbeat-interval-ms',
    '200',
    '--log-level',
    'warn',
  ];
  let daemon: Child | undefined;
  /** Starts a daemon child; retries while the killed one's heartbeat is still fresh. */
  const ensureDaemon = async (kind: 'daemon' | 'dev'): Promise<Child> => {
    if (daemon?.alive() === true) return daemon;
    for (let attempt = 0; ; attempt++) {
      const child = startChild(kind, daemonArgs(kind), { home, tmp, logFile });
      daemon = child;
      if (await child.ready) return child;
      const exit = await child.exited;
      if (attempt >= 20) throw new Error(`the ${kind} child does not start (exit ${String(exit.code)})`);
      await delay(150);
    }
  };

  const pendingMonths = [...source.months];
  let importing: Promise<void> | undefined;
  const runImporter = async (months: string[], killAfterMs?: number): Promise<boolean> => {
    const child = startChild('import', [IMPORTER, home, source.file, ...months], { home, tmp, logFile });
    if (killAfterMs !== undefined) {
      await Promise.race([delay(killAfterMs), child.exited]);
      if (child.alive()) {
        const committed = child.lines.filter((l) => l.startsWith('COMMITTED')).length;
        child.process.kill('SIGKILL');
        kills.push({
          target: 'import',
          observed: `import (${committed}/${months.length} committed)`,
          child: 'import',
          atMs: at(),
        });
        await child.exited;
        return false;
      }
    }
    const exit = await child.exited;
    if (exit.code !== 0)
      throw new Error(`the importer of ${months.join(', ')} exited with ${String(exit.code)}`);
    return true;
  };
  /** Imports the next 1 or 2 months in the background (killing the importer once when `kill`). */
  const commitNext = (kill: boolean): void => {
    if (pendingMonths.length === 0 || importing !== undefined) return;
    const months = pendingMonths.splice(0, random() < 0.3 ? 2 : 1);
    const killAfter = kill ? between(20, 900) : undefined;
    importing = (async () => {
      if (!(await runImporter(months, killAfter))) await runImporter(months); // the retry completes
    })().finally(() => {
      importing = undefined;
    });
  };

  const listRuns = (statuses?: readonly RunStatus[]): Promise<RunRecord[]> =>
    instance.runs.listRuns({ limit: 10_000, ...(statuses === undefined ? {} : { statuses }) });
  const commitIds = async (): Promise<string[]> => {
    const data = new EmbeddedDataRepository({ home });
    try {
      const page = await data.log({ repository: 'flights', ref: 'main', prefix: 'flights/', amount: 1000 });
      return page.results.map((c) => c.id).reverse();
    } finally {
      await data.close();
    }
  };
  /** Every month committed and trained. */
  const allTrained = async (): Promise<boolean> => {
    if (pendingMonths.length > 0 || importing !== undefined) return false;
    const commits = await commitIds();
    const succeeded = new Set(
      (await listRuns(['SUCCESS'])).map((r) => r.tags[DATA_COMMIT_TAG]).filter((c) => c !== undefined),
    );
    return commits.length === source.months.length && commits.every((c) => succeeded.has(c));
  };
  /** What the runs in progress are doing, from the event log. */
  const observe = async (): Promise<string> => {
    const running = await listRuns(OWNED);
    if (running.length === 0) return (await listRuns(['QUEUED'])).length > 0 ? 'queued' : 'idle';
    const parts: string[] = [];
    for (const run of running) {
      const [last] = await instance.events.getEvents({
        runId: run.runId,
        types: ['STEP_START', 'STEP_SUCCESS', 'STEP_FAILURE', 'RUN_START', 'RUN_STARTING'],
        order: 'NEWEST_FIRST',
        limit: 1,
      });
      parts.push(
        last === undefined
          ? run.status.toLowerCase()
          : last.type === 'STEP_START'
            ? (last.stepKey ?? '?')
            : last.type === 'STEP_SUCCESS'
              ? `after ${last.stepKey ?? '?'}`
              : last.type.toLowerCase(),
      );
    }
    return parts.join('+');
  };
  /** The last re-execution of a chain must not be killed (the daemon would not queue another). */
  const lastOfChainRunning = async (): Promise<boolean> =>
    (await listRuns(OWNED)).some((r) => Number(r.tags[RETRY_TAG] ?? '0') >= MAX_RETRY);
  const killDaemon = async (target: KillStage): Promise<boolean> => {
    const child = daemon;
    if (child?.alive() !== true) return false;
    if (await lastOfChainRunning()) {
      spared++;
      return false;
    }
    // before its ready line the child is still starting (the runs may be a killed one's, not yet ended)
    const observed = child.lines.some((l) => READY_LINE.test(l)) ? await observe() : 'startup';
    child.process.kill('SIGKILL');
    await child.exited;
    kills.push({ target, observed, child: child.kind, atMs: at() });
    log(`  seed ${seed}: killed ${child.kind} aiming at ${target}, observed ${observed} (${at()} ms)`);
    return true;
  };

  try {
    // ---- chaos: kill, restart, until every month is trained or the kill budget is spent
    const chaosDeadline = performance.now() + (options.chaosTimeoutMs ?? 120_000);
    let lastEventId = 0;
    while (kills.length < maxKills && performance.now() < chaosDeadline) {
      if (await allTrained()) break;
      let stage = pick(KILL_STAGES);
      if (stage === 'import' && pendingMonths.length === 0) stage = pick(KILL_STAGES.slice(0, -1));
      const kind = random() < 0.7 ? 'daemon' : 'dev';
      const startupKillMs = between(0, 2500);
      if (stage === 'startup' && daemon?.alive() === true) stage = 'between_runs';
      if (daemon?.alive() !== true) {
        if (stage === 'startup') {
          const child = startChild(kind, daemonArgs(kind), { home, tmp, logFile });
          daemon = child;
          await Promise.race([delay(startupKillMs), child.exited]);
          if (!(await killDaemon('startup')) && child.alive()) await child.ready;
          continue;
        }
        await ensureDaemon(kind);
      }
      // commit now (most of the time), or leave the daemon idle for a while
      if (stage === 'import') commitNext(true);
      else if (random() < 0.75) commitNext(false);

      if (stage === 'import') {
        await importing;
        continue;
      }
      if (stage === 'between_runs') {
        // between runs: nothing in progress (a run finished, or none started yet)
        const until = performance.now() + 20_000;
        while (performance.now() < until && (await listRuns(OWNED)).length > 0) await delay(10);
        await delay(between(0, 300));
        await killDaemon(stage);
        continue;
      }
      // a step: wait until one starts, then kill a little later
      const until = performance.now() + 25_000;
      let hit = false;
      while (performance.now() < until) {
        const events = await instance.events.getEvents({ types: ['STEP_START'], afterId: lastEventId });
        for (const event of events) {
          lastEventId = Math.max(lastEventId, event.id);
          if (event.stepKey === stage) hit = true;
        }
        if (hit || (await allTrained())) break;
        if (pendingMonths.length > 0 && importing === undefined && (await listRuns(ACTIVE)).length === 0)
          commitNext(false); // nothing to train: give it the next month
        await delay(10);
      }
      if (!hit) continue;
      await delay(between(0, 150));
      await killDaemon(stage);
    }
    await importing;

    // ---- settle: one clean daemon runs until every commit has a successful run and nothing is left
    const clean = await ensureDaemon('daemon');
    while (pendingMonths.length > 0) {
      commitNext(false);
      await importing;
    }
    const settleDeadline = performance.now() + (options.settleTimeoutMs ?? 90_000);
    let settled = false;
    let quietSince: number | undefined;
    let quietFor = 0;
    while (performance.now() < settleDeadline && clean.alive()) {
      const active = await listRuns(ACTIVE);
      const pendingHooks = (await listRuns(['FAILURE', 'CANCELED'])).filter(
        (r) => r.tags[FAILURE_HOOKS_TAG] === 'pending',
      );
      if (active.length === 0 && pendingHooks.length === 0 && (await allTrained())) {
        settled = true;
        break;
      }
      // Nothing in progress for a while, yet not every commit trained: it will not get there.
      if (active.length === 0) quietSince ??= performance.now();
      else quietSince = undefined;
      quietFor = quietSince === undefined ? 0 : performance.now() - quietSince;
      if (quietFor > QUIET_MS) break;
      await delay(100);
    }
    if (!settled) {
      const active = await listRuns(ACTIVE);
      violations.push(
        `trial: the clean daemon did not bring every commit to a successful run (${quietFor > QUIET_MS ? `nothing in progress for ${QUIET_MS / 1000} s` : `daemon ${clean.alive() ? 'still busy at the bound' : 'exited'}`}; in progress: ${active.map((r) => `${r.runId.slice(0, 8)} ${r.status}`).join(', ') || 'none'})`,
      );
    }
    if (clean.alive()) {
      clean.process.kill('SIGTERM');
      const exit = await Promise.race([clean.exited, delay(30_000).then(() => undefined)]);
      if (exit === undefined) {
        violations.push('trial: the clean daemon did not stop within 30 s of SIGTERM');
        clean.process.kill('SIGKILL');
        await clean.exited;
      } else if (exit.code !== 0) {
        violations.push(`trial: the clean daemon exited with ${String(exit.code ?? exit.signal)} on SIGTERM`);
      }
    }
  } catch (error) {
    violations.push(`trial: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (daemon?.alive() === true) {
      daemon.process.kill('SIGKILL');
      await daemon.exited;
    }
    await importing?.catch(() => undefined);
  }

  // ---- check
  const runs: Record<string, number> = {};
  for (const run of await listRuns()) runs[run.status] = (runs[run.status] ?? 0) + 1;
  await instance.close();
  const commits = await commitIds();
  if (commits.length !== source.months.length)
    violations.push(`data: ${commits.length} commits on flights/ for ${source.months.length} months`);
  violations.push(...(await checkInvariants({ home, commits })));
  await new Promise<void>((resolve) => logFile.end(resolve));
  return {
    seed,
    home,
    kills,
    spared,
    commits,
    runs,
    violations,
    seconds: (performance.now() - started) / 1000,
  };
}
