/**
 * Commit push across processes for the embedded data repository. One file,
 * `<home>/data/commit-signal`, is the doorbell: a process rewrites it after every transaction that
 * moved a branch head (commit, merge, revert, reset) has committed — never before — and the
 * instances that have `onCommit` listeners, in this or any other process on the same home, watch
 * it (`fs.watch`: inotify on Linux, in-place writes keep the watched inode). A ring only says "some
 * head moved":
 * the subscriber re-reads every branch head from SQLite and reports those that differ from what it
 * last saw. So the truth stays in SQLite, the file's content is informational (`pid repository
 * branch commitId`; concurrent writers may garble it, nothing parses it), several moves between two
 * reads coalesce into one event per branch carrying the newest head, and a lost ring (a writer
 * killed before writing it, a watcher error) only costs latency: the data-commit sensor's poll
 * remains.
 *
 * @example
 * ```ts
 * const signal = new CommitSignal({ path: join(dataDir, 'commit-signal'), db, onForeignCommit: console.log });
 * const release = signal.watch(); // the first user starts the watcher
 * signal.notify({ repository: 'flights', branch: 'main', commitId }); // after the transaction committed
 * release(); // the last user stops it
 * ```
 */
import { closeSync, openSync, watch, writeFileSync } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import type { SqliteDatabase } from '../../util/sqlite-database.js';
import type { CommitEvent } from '../data-repository.js';

/** A branch head that this process just moved. */
export interface MovedHead {
  repository: string;
  branch: string;
  commitId: string;
}

/** Options of {@link CommitSignal}. */
export interface CommitSignalOptions {
  /** The signal file (`<home>/data/commit-signal`); its folder must exist. */
  path: string;
  /** The embedded repository's database (reads `branches` and `commits`). */
  db: SqliteDatabase;
  /** Receives a head moved by another process or another instance (never by this one). */
  onForeignCommit: (event: CommitEvent) => void;
}

interface HeadRow {
  repo: string;
  name: string;
  head: string;
}

/** Rings and watches `<home>/data/commit-signal`; see the module comment. */
export class CommitSignal {
  readonly path: string;
  readonly #onForeignCommit: (event: CommitEvent) => void;
  readonly #heads: { all(): HeadRow[] };
  readonly #parents: { get(repo: string, id: string): { parents: string } | undefined };
  /** Branch heads as last seen (`repo\0branch` -> commit id); kept only while watching. */
  #seen = new Map<string, string>();
  #watcher: FSWatcher | undefined;
  #users = 0;
  #scanQueued = false;
  #closed = false;

  constructor(options: CommitSignalOptions) {
    this.path = options.path;
    this.#onForeignCommit = options.onForeignCommit;
    this.#heads = options.db.prepare<[], HeadRow>('SELECT repo, name, head FROM branches');
    this.#parents = options.db.prepare<[string, string], { parents: string }>(
      'SELECT parents FROM commits WHERE repo = ? AND id = ?',
    );
  }

  /** Whether the file is watched (some user, not closed, and the watch could start). */
  get watching(): boolean {
    return this.#watcher !== undefined;
  }

  /** Call after a transaction that moved `head` committed: tells the other watchers. Never throws. */
  notify(head: MovedHead): void {
    if (this.#closed) return;
    // This instance reported its own move in process already: the re-read must not report it again.
    if (this.#watcher !== undefined) this.#seen.set(keyOf(head.repository, head.branch), head.commitId);
    try {
      // Rewritten in place (open O_TRUNC + write), not renamed over: watchers keep their inode.
      writeFileSync(this.path, `${process.pid} ${head.repository} ${head.branch} ${head.commitId}\n`);
    } catch {
      // A lost ring only costs latency (the sensors poll); the commit itself is done.
    }
  }

  /** Starts watching with the first user; returns the release function (the last release stops it). */
  watch(): () => void {
    if (this.#closed) return () => undefined;
    this.#users++;
    if (this.#users === 1) this.#start(false);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#users--;
      if (this.#users === 0) this.#stop();
    };
  }

  /** Stops watching for good; `notify` becomes a no-op. Call before closing the database. */
  close(): void {
    this.#closed = true;
    this.#users = 0;
    this.#stop();
  }

  /** Watches the file, then reads the heads (in that order, so no move falls in between). */
  #start(report: boolean): void {
    try {
      closeSync(openSync(this.path, 'a')); // only an existing file can be watched
      // persistent: false — a watcher alone never keeps the process alive.
      const watcher = watch(this.path, { persistent: false }, (eventType) => {
        // 'rename': the file was deleted or replaced, its old inode gets no more writes.
        if (eventType === 'rename') this.#restart();
        else this.#queueScan();
      });
      watcher.on('error', () => {
        this.#restart();
      });
      this.#watcher = watcher;
    } catch {
      this.#watcher = undefined; // no push (e.g. the home was removed); the sensors poll
      return;
    }
    this.#scan(report);
  }

  #restart(): void {
    this.#stop();
    if (this.#users > 0 && !this.#closed) this.#start(true);
  }

  #stop(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /** One re-read for every burst of rings (an in-place rewrite can raise two change events). */
  #queueScan(): void {
    if (this.#scanQueued) return;
    this.#scanQueued = true;
    setImmediate(() => {
      this.#scanQueued = false;
      if (this.#watcher !== undefined) this.#scan(true);
    });
  }

  /** Reads every head; with `report`, emits the ones that moved since the last read. */
  #scan(report: boolean): void {
    let rows: HeadRow[];
    try {
      rows = this.#heads.all();
    } catch {
      return; // a closed or unreadable database: the next ring or the poll will tell
    }
    const seen = new Map<string, string>();
    const moved: HeadRow[] = [];
    for (const row of rows) {
      const key = keyOf(row.repo, row.name);
      const before = this.#seen.get(key);
      seen.set(key, row.head);
      // A branch new since the last read is not a commit (its head existed already).
      if (report && before !== undefined && before !== row.head) moved.push(row);
    }
    this.#seen = seen;
    for (const row of moved) {
      this.#onForeignCommit({
        repository: row.repo,
        branch: row.name,
        commitId: row.head,
        kind: this.#isMerge(row) ? 'merge' : 'commit',
      });
    }
  }

  /** Whether the head is a merge commit (two parents; a reset to a commit reads as that commit). */
  #isMerge(row: HeadRow): boolean {
    try {
      const parents = this.#parents.get(row.repo, row.head)?.parents;
      return parents !== undefined && (JSON.parse(parents) as string[]).length > 1;
    } catch {
      return false;
    }
  }
}

function keyOf(repository: string, branch: string): string {
  return `${repository}\0${branch}`;
}
