/**
 * Run ownership: every run in progress names the process executing it (its *owner*: an id, the
 * host, the pid and the pid's start time) and carries a heartbeat the owner refreshes. Any process
 * can then tell a live run from one whose process died (SIGKILL, crash, a final write that never
 * landed) and end it, so a dead process can neither hold a run STARTED forever nor a slot of the
 * run queue.
 *
 * A run's owner is judged
 * - by this process itself when it is the owner: alive exactly while it is executing the run;
 * - on the same host by its pid (and the pid's start time, so a reused pid is not taken for it);
 * - on another host by its heartbeat: dead after `leaseMs` without one.
 *
 * @example
 * ```ts
 * const state = ownerState(run, { self: instance.owner, executing: instance.activeRuns, now: Date.now() });
 * if (state.alive === false) console.log(`run ${run.runId}: ${state.reason}`);
 * ```
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunRecord } from '../events/event-types.js';

/** Tag: id of the process executing the run. */
export const OWNER_ID_TAG = 'lakeloop/owner_id';
/** Tag: host name of the owner. */
export const OWNER_HOST_TAG = 'lakeloop/owner_host';
/** Tag: pid of the owner on its host. */
export const OWNER_PID_TAG = 'lakeloop/owner_pid';
/** Tag: start time of the owner's pid (Linux clock ticks since boot; '' where unknown). */
export const OWNER_PID_START_TAG = 'lakeloop/owner_pid_start';
/** Tag: epoch ms of the owner's latest heartbeat. */
export const OWNER_HEARTBEAT_TAG = 'lakeloop/owner_heartbeat';
/** Tag set on a run ended because its owner died: what was found (`process_exited`, `lease_expired`, …). */
export const OWNER_LOST_TAG = 'lakeloop/owner_lost';

/** Default time between two heartbeats of a run's owner. */
export const DEFAULT_RUN_HEARTBEAT_MS = 5_000;
/** Default time without a heartbeat after which an owner on another host is taken for dead. */
export const DEFAULT_RUN_LEASE_MS = 60_000;
/** Same host, pid alive: still taken for dead after this long without a heartbeat (a hung process). */
export const DEFAULT_SAME_HOST_STALE_MS = 15 * 60_000;

/** The process that executes runs. */
export interface RunOwner {
  id: string;
  host: string;
  pid: number;
  /** Start time of the pid ('' where the platform does not tell). */
  pidStart: string;
}

/** Start time of a process (field 22 of /proc/PID/stat), or '' where unknown. */
function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? 'zombie' : (fields[19] ?? '');
  } catch {
    return '';
  }
}

/** The owner record of this process. */
export function currentProcessOwner(id: string): RunOwner {
  return { id, host: hostname(), pid: process.pid, pidStart: processStartTime(process.pid) };
}

/** The tags that record `owner` (and a heartbeat at `now`) on a run. */
export function ownerTags(owner: RunOwner, now: number): Record<string, string> {
  return {
    [OWNER_ID_TAG]: owner.id,
    [OWNER_HOST_TAG]: owner.host,
    [OWNER_PID_TAG]: String(owner.pid),
    [OWNER_PID_START_TAG]: owner.pidStart,
    [OWNER_HEARTBEAT_TAG]: String(now),
  };
}

/** Whether a process on this host with that pid (and start time, when known) still runs. */
export function isLocalProcessAlive(pid: number, pidStart: string): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = processStartTime(pid);
  if (start === 'zombie') return false;
  return pidStart === '' || start === '' || start === pidStart;
}

/** Options of {@link ownerState}. */
export interface OwnerStateOptions {
  /** This process. */
  self: RunOwner;
  /** Runs this process is executing right now (by id). */
  executing: { has(runId: string): boolean };
  now: number;
  /** Default {@link DEFAULT_RUN_LEASE_MS}. */
  leaseMs?: number;
  /** Default {@link DEFAULT_SAME_HOST_STALE_MS}. */
  sameHostStaleMs?: number;
  /** Default {@link isLocalProcessAlive}; injectable for tests of other hosts' rules. */
  isAlive?: (pid: number, pidStart: string) => boolean;
}

/** Why a run's owner is taken for dead (the value of the `lakeloop/owner_lost` tag). */
export const OWNER_LOST_KINDS = ['process_exited', 'lease_expired', 'not_executing', 'no_owner'] as const;
/** One of {@link OWNER_LOST_KINDS}. */
export type OwnerLostKind = (typeof OWNER_LOST_KINDS)[number];

/** What is known of a run's owner. */
export type OwnerState = { alive: true } | { alive: false; lost: OwnerLostKind; reason: string };

/** Whether the process executing `run` is alive; meaningful for runs in progress only. */
export function ownerState(run: RunRecord, options: OwnerStateOptions): OwnerState {
  const tags = run.tags;
  const id = tags[OWNER_ID_TAG];
  const heartbeat = Number(tags[OWNER_HEARTBEAT_TAG] ?? run.updatedAt);
  const silentMs = options.now - (Number.isFinite(heartbeat) ? heartbeat : run.updatedAt);
  const leaseMs = options.leaseMs ?? DEFAULT_RUN_LEASE_MS;
  if (id === undefined) {
    // Runs from before owners were recorded: only their age tells.
    if (silentMs <= leaseMs) return { alive: true };
    return {
      alive: false,
      lost: 'no_owner',
      reason: `it records no owner process and has not changed for ${seconds(silentMs)}`,
    };
  }
  if (id === options.self.id) {
    if (options.executing.has(run.runId)) return { alive: true };
    return {
      alive: false,
      lost: 'not_executing',
      reason: `its owner (this process, ${describeOwner(run)}) is no longer executing it`,
    };
  }
  if (tags[OWNER_HOST_TAG] === options.self.host) {
    const isAlive = options.isAlive ?? isLocalProcessAlive;
    if (!isAlive(Number(tags[OWNER_PID_TAG]), tags[OWNER_PID_START_TAG] ?? '')) {
      return { alive: false, lost: 'process_exited', reason: `its process ${describeOwner(run)} exited` };
    }
    const staleMs = options.sameHostStaleMs ?? DEFAULT_SAME_HOST_STALE_MS;
    if (silentMs <= staleMs) return { alive: true };
    return {
      alive: false,
      lost: 'lease_expired',
      reason: `its process ${describeOwner(run)} runs but sent no heartbeat for ${seconds(silentMs)}`,
    };
  }
  if (silentMs <= leaseMs) return { alive: true };
  return {
    alive: false,
    lost: 'lease_expired',
    reason: `its owner ${describeOwner(run)} sent no heartbeat for ${seconds(silentMs)}`,
  };
}

function describeOwner(run: RunRecord): string {
  return `pid ${run.tags[OWNER_PID_TAG] ?? '?'} on ${run.tags[OWNER_HOST_TAG] ?? '?'}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`;
}
