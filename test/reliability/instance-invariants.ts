/**
 * The invariants of an instance home after a crash trial of the flight-delays loop, checked from
 * the outside (the checker observes, it never repairs: the instance is opened with
 * `recoverDeadRuns: false`):
 *
 * 1. `PRAGMA integrity_check` is `ok` on every SQLite database under the home (`lakeloop.db`, the
 *    embedded data repository's `data/repository.db`, tracking's `tracking/mlflow.db`, any other).
 * 2. No run is STARTING / STARTED / CANCELING without a live owner process; no run has its failure
 *    hooks pending, and no successful run carries the failure-hooks tag.
 * 3. No tracking run is RUNNING.
 * 4. Every data commit has exactly one successful pipeline run and exactly one model version, the
 *    version names that run or an earlier attempt of it (`lakeloop.pipeline_run_id`, same root run) and its data commit equals the run's; no
 *    version or successful run names a commit outside the list; the data log holds exactly the
 *    listed commits on the pipeline's prefix; the champion is the newest commit's version.
 * 5. Every stored object is readable and matches its checksum: values under `<home>/storage`
 *    (`value-<sha256[0:32]>.<ext>`), every materialization event's value (through the IO
 *    manager), the embedded data blobs (`data/blobs/<sha[0:2]>/<sha[2:]>`), every object of every
 *    listed commit (read back, hashed, compared with its stat), and each model version's ONNX file.
 *
 * @example
 * ```ts
 * const violations = await checkInvariants({ home, commits: ['c0ffee…', …] });
 * if (violations.length > 0) console.error(violations.join('\n'));
 * ```
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { DATA_COMMIT_TAG, FAILURE_HOOKS_TAG, Instance, ownerState } from 'lakeloop';
import type { RunRecord, RunStatus } from 'lakeloop';
import { EmbeddedDataRepository } from 'lakeloop/data';
import { LineageTag, openRegistry, openTracking } from 'lakeloop/tracking';
import type { ModelVersion } from 'lakeloop/tracking';

/** Options of {@link checkInvariants}. */
export interface CheckInvariantsOptions {
  /** The instance home (embedded data repository and tracking inside it). */
  home: string;
  /** The data commits the pipeline must have trained on, oldest first. */
  commits: readonly string[];
  /** Default `flights`. */
  repository?: string;
  /** Default `main`. */
  branch?: string;
  /** Object prefix the sensor watches. Default `flights/`. */
  prefix?: string;
  /** Default `flight-delays`. */
  modelName?: string;
  /** Default `flight-delays`. */
  experimentName?: string;
  /** Default `champion`. */
  championAlias?: string;
}

/** Statuses of runs that hold an owner process. */
const OWNED_STATUSES: readonly RunStatus[] = ['STARTING', 'STARTED', 'CANCELING'];

const short = (id: string | undefined): string => (id ?? '?').slice(0, 12);

/** Every file under `dir` (recursively), absolute paths. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Checks every invariant; returns the violations (empty when the home is sound). */
export async function checkInvariants(options: CheckInvariantsOptions): Promise<string[]> {
  const violations: string[] = [];
  const attempt = async (what: string, check: () => Promise<void> | void): Promise<void> => {
    try {
      await check();
    } catch (error) {
      violations.push(`${what}: could not check: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  await attempt('integrity', () => {
    checkDatabases(options.home, violations);
  });
  await attempt('storage', () => {
    checkStoredValueFiles(options.home, violations);
  });
  await attempt('data blobs', () => {
    checkDataBlobs(options.home, violations);
  });
  await attempt('runs', () => checkRunsAndModels(options, violations));
  return violations;
}

/** 1. `PRAGMA integrity_check` on every database file under the home. */
function checkDatabases(home: string, violations: string[]): void {
  const databases = filesUnder(home).filter((f) => f.endsWith('.db') || f.endsWith('.sqlite'));
  for (const required of ['lakeloop.db', join('data', 'repository.db'), join('tracking', 'mlflow.db')]) {
    if (!databases.includes(join(home, required))) violations.push(`integrity: ${required} is missing`);
  }
  for (const file of databases) {
    try {
      const db = new Database(file, { fileMustExist: true });
      try {
        const rows = db.pragma('integrity_check') as { integrity_check: string }[];
        const result = rows.map((r) => r.integrity_check);
        if (result.length !== 1 || result[0] !== 'ok')
          violations.push(`integrity: ${relative(home, file)}: ${result.join('; ')}`);
      } finally {
        db.close();
      }
    } catch (error) {
      violations.push(`integrity: ${relative(home, file)}: ${(error as Error).message}`);
    }
  }
}

const VALUE_FILE = /^value-([0-9a-f]{32})\.(json|bin|lltab|lltree)$/;
/** A write a killed process left: not a stored value (prune removes it). */
const VALUE_TEMP = /\.\d+\.[0-9a-f]+\.tmp$/;

/** 5a. Stored values are named by the SHA-256 of their bytes. */
function checkStoredValueFiles(home: string, violations: string[]): void {
  for (const file of filesUnder(join(home, 'storage'))) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    if (VALUE_TEMP.test(name)) continue;
    const match = VALUE_FILE.exec(name);
    if (match === null) continue; // unversioned `value.<ext>` files have no checksum to verify
    const actual = sha256File(file).slice(0, 32);
    if (actual !== match[1])
      violations.push(`storage: ${relative(home, file)} holds bytes hashing to ${actual}`);
  }
}

/** 5b. Embedded data blobs are content-addressed. */
function checkDataBlobs(home: string, violations: string[]): void {
  const root = join(home, 'data', 'blobs');
  if (!existsSync(root)) return;
  for (const dir of readdirSync(root)) {
    if (dir === 'tmp' || dir.length !== 2) continue;
    for (const name of readdirSync(join(root, dir))) {
      const file = join(root, dir, name);
      const actual = sha256File(file);
      if (actual !== dir + name)
        violations.push(`data blob: ${dir}/${name} holds bytes hashing to ${actual}`);
    }
  }
}

async function hashStream(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

/** 2, 3, 4, 5c-e: through the public APIs. */
async function checkRunsAndModels(options: CheckInvariantsOptions, violations: string[]): Promise<void> {
  const { home, commits } = options;
  const repository = options.repository ?? 'flights';
  const branch = options.branch ?? 'main';
  const prefix = options.prefix ?? 'flights/';
  const modelName = options.modelName ?? 'flight-delays';
  const instance = await Instance.open({ home, recoverDeadRuns: false });
  const data = new EmbeddedDataRepository({ home });
  const tracking = openTracking({ home, uri: join(home, 'tracking') });
  const registry = openRegistry({ home, uri: join(home, 'tracking') });
  try {
    // 2. runs in progress need a live owner (this process executes none of them)
    const now = Date.now();
    const runs: RunRecord[] = await instance.runs.listRuns({ limit: 100_000, order: 'OLDEST_FIRST' });
    for (const run of runs) {
      if (!OWNED_STATUSES.includes(run.status)) continue;
      const state = ownerState(run, { self: instance.owner, executing: instance.activeRuns, now });
      if (!state.alive) violations.push(`run ${run.runId} is ${run.status} but ${state.reason}`);
    }

    // 2. failure hooks: none left pending, none on a successful run
    for (const run of runs) {
      const hooks = run.tags[FAILURE_HOOKS_TAG];
      if (hooks === undefined) continue;
      if (run.status === 'SUCCESS')
        violations.push(`run ${run.runId} is SUCCESS but carries ${FAILURE_HOOKS_TAG}=${hooks}`);
      else if (hooks === 'pending')
        violations.push(`run ${run.runId} (${run.status}) has its failure hooks pending`);
    }

    // 3. no tracking run RUNNING
    const experiments = await tracking.listExperiments();
    if (experiments.length > 0) {
      const running = await tracking.searchRuns({
        experimentIds: experiments.map((e) => e.experimentId),
        statuses: ['RUNNING'],
        maxResults: 1000,
      });
      for (const run of running) {
        violations.push(
          `tracking run ${run.info.runId} (${run.info.runName}) is RUNNING (pipeline run ${run.tags[LineageTag.PIPELINE_RUN_ID] ?? '?'})`,
        );
      }
    }

    // 4. the data log holds exactly the listed commits on the prefix
    const logged: string[] = [];
    for (let after: string | undefined; ;) {
      const page = await data.log({
        repository,
        ref: branch,
        prefix,
        amount: 1000,
        ...(after === undefined ? {} : { after }),
      });
      logged.push(...page.results.map((c) => c.id));
      if (!page.hasMore) break;
      after = page.nextOffset;
    }
    const listed = new Set(commits);
    for (const id of logged)
      if (!listed.has(id))
        violations.push(`data: commit ${short(id)} on ${prefix} is not in the trial's list`);
    for (const id of commits)
      if (!logged.includes(id)) violations.push(`data: commit ${short(id)} is not in the log of ${branch}`);

    // 4. one successful run and one model version per commit, naming each other
    const rootOf = (r: RunRecord): string => r.tags['lakeloop/root_run_id'] ?? r.runId;
    const successByCommit = new Map<string, RunRecord[]>();
    for (const run of runs) {
      if (run.status !== 'SUCCESS') continue;
      const commit = run.tags[DATA_COMMIT_TAG];
      if (commit === undefined) {
        violations.push(`run ${run.runId} succeeded without a ${DATA_COMMIT_TAG} tag`);
        continue;
      }
      successByCommit.set(commit, [...(successByCommit.get(commit) ?? []), run]);
    }
    let versions: ModelVersion[] = [];
    try {
      versions = await registry.searchModelVersions({ name: modelName, maxResults: 10_000 });
    } catch (error) {
      if (commits.length > 0)
        violations.push(`registry: no versions of ${modelName}: ${(error as Error).message}`);
    }
    const versionsByCommit = new Map<string, ModelVersion[]>();
    for (const version of versions) {
      const commit = version.tags[LineageTag.DATA_COMMIT] ?? '';
      versionsByCommit.set(commit, [...(versionsByCommit.get(commit) ?? []), version]);
    }
    for (const commit of new Set([...commits, ...successByCommit.keys(), ...versionsByCommit.keys()])) {
      const ok = successByCommit.get(commit) ?? [];
      const mine = versionsByCommit.get(commit) ?? [];
      if (!listed.has(commit)) {
        violations.push(
          `commit ${short(commit)} is not a trial commit but has ${ok.length} successful run(s) and ${mine.length} version(s)`,
        );
        continue;
      }
      if (ok.length !== 1) {
        const all = runs.filter((r) => r.tags[DATA_COMMIT_TAG] === commit);
        violations.push(
          `commit ${short(commit)} has ${ok.length} successful runs (runs: ${all.map((r) => `${r.runId.slice(0, 8)} ${r.status}`).join(', ') || 'none'})`,
        );
      }
      if (mine.length !== 1) {
        violations.push(
          `commit ${short(commit)} has ${mine.length} model versions (${mine.map((v) => `v${v.version} by run ${short(v.tags[LineageTag.PIPELINE_RUN_ID])}`).join(', ') || 'none'})`,
        );
      }
      const [run] = ok;
      for (const version of mine) {
        const runId = version.tags[LineageTag.PIPELINE_RUN_ID];
        const producer = runs.find((r) => r.runId === runId);
        if (producer === undefined) {
          violations.push(`v${version.version} names pipeline run ${runId ?? '?'}, which does not exist`);
        } else if (producer.tags[DATA_COMMIT_TAG] !== version.tags[LineageTag.DATA_COMMIT]) {
          violations.push(
            `v${version.version} has data commit ${short(version.tags[LineageTag.DATA_COMMIT])} but its run ${producer.runId} has ${short(producer.tags[DATA_COMMIT_TAG])}`,
          );
        } else if (
          run !== undefined &&
          ok.length === 1 &&
          mine.length === 1 &&
          rootOf(producer) !== rootOf(run) // an earlier attempt of the same run may have registered it
        ) {
          violations.push(
            `v${version.version} of commit ${short(commit)} names run ${producer.runId} (${producer.status}), not the successful run ${run.runId}`,
          );
        }
      }
    }

    // 4. the champion is the newest commit's model
    const newest = commits.at(-1);
    if (newest !== undefined && versions.length > 0) {
      try {
        const champion = await registry.getModelVersionByAlias({
          name: modelName,
          alias: options.championAlias ?? 'champion',
        });
        if (champion.tags[LineageTag.DATA_COMMIT] !== newest)
          violations.push(
            `champion v${champion.version} is on commit ${short(champion.tags[LineageTag.DATA_COMMIT])}, not on the newest ${short(newest)}`,
          );
      } catch (error) {
        violations.push(`registry: no champion: ${(error as Error).message}`);
      }
    }

    // 5c. every materialization's value is there, readable and of its data version
    const materializations = await instance.events.getEvents({ types: ['ASSET_MATERIALIZATION'] });
    for (const event of materializations) {
      const m = event.materialization;
      if (m?.storagePath === undefined) continue;
      const where = `${m.assetKey} of run ${event.runId.slice(0, 8)}`;
      if (!existsSync(m.storagePath)) {
        violations.push(`storage: the value of ${where} (${m.storagePath}) is missing`);
        continue;
      }
      const actual = sha256File(m.storagePath).slice(0, 32);
      if (actual !== m.dataVersion)
        violations.push(`storage: the value of ${where} hashes to ${actual}, recorded ${m.dataVersion}`);
      try {
        await instance.ioManager.read({ assetKey: m.assetKey, storagePath: m.storagePath });
      } catch (error) {
        violations.push(`storage: the value of ${where} cannot be read: ${(error as Error).message}`);
      }
    }

    // 5d. every object of every commit reads back with its checksum
    for (const ref of logged) {
      for (let after: string | undefined; ;) {
        const page = await data.listObjects({
          repository,
          ref,
          amount: 1000,
          ...(after === undefined ? {} : { after }),
        });
        for (const entry of page.results) {
          if (entry.pathType !== 'object') continue;
          const actual = await hashStream(await data.getObject({ repository, ref, path: entry.path }));
          if (actual !== entry.checksum)
            violations.push(
              `data: ${entry.path}@${short(ref)} reads back as ${actual}, stat says ${entry.checksum}`,
            );
        }
        if (!page.hasMore) break;
        after = page.nextOffset;
      }
    }

    // 5e. each version's model folder holds a readable ONNX file
    const artifactFiles = filesUnder(join(home, 'tracking', 'artifacts'));
    for (const version of versions) {
      const runId = version.runId;
      if (runId === undefined) {
        violations.push(`registry: v${version.version} names no tracking run`);
        continue;
      }
      const onnx = artifactFiles.find((f) => f.includes(`/${runId}/`) && f.endsWith('/model.onnx'));
      if (onnx === undefined) {
        violations.push(`registry: v${version.version} has no model.onnx in tracking run ${runId}`);
        continue;
      }
      const size = statSync(onnx).size;
      if (size === 0) violations.push(`registry: the model.onnx of v${version.version} is empty`);
      await hashStream(createReadStream(onnx));
    }
  } finally {
    await registry.close();
    await tracking.close();
    await data.close();
    await instance.close();
  }
}
