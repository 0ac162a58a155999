/**
 * The contract every {@link ModelRegistry} passes (embedded and MLflow server alike). Every test
 * uses its own model name, so suites can share a server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LineageTag } from '../../src/tracking/index.js';
import type { ModelRegistry, TrackingStore } from '../../src/tracking/index.js';
import { expectCode } from './tracking-store.contract.js';

/** Creates a tracking store and a registry on the same backend for one test. */
export type ModelRegistryFactory = () =>
  | Promise<{ tracking: TrackingStore; registry: ModelRegistry; cleanup: () => void | Promise<void> }>
  | { tracking: TrackingStore; registry: ModelRegistry; cleanup: () => void | Promise<void> };

/** Registers the contract tests (call inside a describe block). */
export function modelRegistryContract(factory: ModelRegistryFactory): void {
  let tracking: TrackingStore;
  let registry: ModelRegistry;
  let cleanup: () => void | Promise<void>;
  let dir: string;
  const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

  beforeEach(async () => {
    ({ tracking, registry, cleanup } = await factory());
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  });
  afterEach(async () => {
    await registry.close();
    await tracking.close();
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function runWithModel(): Promise<string> {
    const experiment = await tracking.getOrCreateExperiment(unique('exp'));
    const run = await tracking.createRun({ experimentId: experiment.experimentId, name: 'train' });
    writeFileSync(join(dir, 'MLmodel'), 'flavors: {}\n');
    await tracking.logArtifact(run.info.runId, join(dir, 'MLmodel'), 'model');
    return run.info.runId;
  }

  it('creates, gets and searches registered models', async () => {
    const name = unique('model');
    const created = await registry.createRegisteredModel({
      name,
      description: 'delays',
      tags: { team: 'ml' },
    });
    expect(created).toMatchObject({ name, description: 'delays', tags: { team: 'ml' }, aliases: {} });
    expect(created.latestVersion).toBeUndefined();
    expect((await registry.getRegisteredModel(name)).name).toBe(name);
    expect((await registry.getOrCreateRegisteredModel({ name })).name).toBe(name);
    const found = await registry.searchRegisteredModels({ nameContains: name.slice(-8) });
    expect(found.map((m) => m.name)).toEqual([name]);
    await expectCode(registry.createRegisteredModel({ name }), 'ALREADY_EXISTS');
    await expectCode(registry.getRegisteredModel(unique('missing')), 'NOT_FOUND');
  });

  it('creates numbered model versions from a run with lineage tags', async () => {
    const name = unique('model');
    await registry.getOrCreateRegisteredModel({ name });
    const runId = await runWithModel();
    const first = await registry.createModelVersion({
      name,
      runId,
      artifactPath: 'model',
      description: 'first',
      tags: { [LineageTag.DATA_COMMIT]: 'abc123', [LineageTag.PIPELINE_RUN_ID]: 'run-1' },
    });
    expect(first).toMatchObject({ name, version: '1', runId, description: 'first', status: 'READY' });
    expect(first.tags[LineageTag.DATA_COMMIT]).toBe('abc123');
    expect(first.source).toContain(runId);
    expect(first.source.endsWith('model')).toBe(true);
    const second = await registry.createModelVersion({ name, runId });
    expect(second.version).toBe('2');
    expect((await registry.getModelVersion(name, '1')).description).toBe('first');
    expect((await registry.searchModelVersions({ name })).map((v) => v.version)).toEqual(['2', '1']);
    expect((await registry.getRegisteredModel(name)).latestVersion).toBe('2');
  });

  it('finds the versions of every model by a tag value or by training run, by name then newest first', async () => {
    const prefix = unique('find');
    const [a, b] = [`${prefix}-a`, `${prefix}-b`];
    await registry.createRegisteredModel({ name: a });
    await registry.createRegisteredModel({ name: b });
    const [runOne, runTwo] = [await runWithModel(), await runWithModel()];
    const pipelineRun = unique('pipeline-run');
    const tags = { [LineageTag.PIPELINE_RUN_ID]: pipelineRun };
    await registry.createModelVersion({ name: b, runId: runOne, tags });
    await registry.createModelVersion({ name: a, runId: runTwo }); // a/1: another run, no tag
    await registry.createModelVersion({ name: a, runId: runOne, tags }); // a/2
    await registry.createModelVersion({
      name: a,
      runId: runTwo,
      tags: { [LineageTag.PIPELINE_RUN_ID]: `${pipelineRun}x` },
    });

    const byTag = await registry.findModelVersions({
      tag: { key: LineageTag.PIPELINE_RUN_ID, value: pipelineRun },
    });
    expect(byTag.map((v) => `${v.name}/${v.version}`)).toEqual([`${a}/2`, `${b}/1`]);
    expect(byTag[0]?.tags[LineageTag.PIPELINE_RUN_ID]).toBe(pipelineRun);
    const byRun = await registry.findModelVersions({ runId: runTwo });
    expect(byRun.map((v) => `${v.name}/${v.version}`)).toEqual([`${a}/3`, `${a}/1`]);
    expect((await registry.findModelVersions({ runId: runOne, maxResults: 1 })).map((v) => v.name)).toEqual([
      a,
    ]);
    expect(
      await registry.findModelVersions({ tag: { key: LineageTag.PIPELINE_RUN_ID, value: unique('none') } }),
    ).toEqual([]);
    expect(await registry.findModelVersions({ runId: randomUUID().replaceAll('-', '') })).toEqual([]);
  });

  it('pages registered models after a name and versions below a version', async () => {
    const prefix = unique('page');
    for (const suffix of ['a', 'b', 'c'])
      await registry.createRegisteredModel({ name: `${prefix}-${suffix}` });
    const after = await registry.searchRegisteredModels({
      nameContains: prefix,
      after: `${prefix}-a`,
      maxResults: 1,
    });
    expect(after.map((m) => m.name)).toEqual([`${prefix}-b`]);
    expect(
      (await registry.searchRegisteredModels({ nameContains: prefix, after: `${prefix}-b` })).map(
        (m) => m.name,
      ),
    ).toEqual([`${prefix}-c`]);
    const name = `${prefix}-a`;
    const runId = await runWithModel();
    for (let i = 0; i < 4; i++) await registry.createModelVersion({ name, runId });
    const below = await registry.searchModelVersions({ name, belowVersion: '4', maxResults: 2 });
    expect(below.map((v) => v.version)).toEqual(['3', '2']);
    expect((await registry.searchModelVersions({ name, belowVersion: '1' })).map((v) => v.version)).toEqual(
      [],
    );
    await expectCode(registry.searchModelVersions({ name, belowVersion: 'latest' }), 'INVALID_ARGUMENT');
  });

  it('rejects unknown models, versions and runs with NOT_FOUND', async () => {
    const name = unique('model');
    await registry.createRegisteredModel({ name });
    const runId = await runWithModel();
    await expectCode(registry.createModelVersion({ name: unique('missing'), runId }), 'NOT_FOUND');
    await expectCode(
      registry.createModelVersion({ name, runId: randomUUID().replaceAll('-', '') }),
      'NOT_FOUND',
    );
    await expectCode(registry.getModelVersion(name, '7'), 'NOT_FOUND');
    await expectCode(registry.getModelVersion(name, 'latest-ish'), 'NOT_FOUND');
    await expectCode(registry.createModelVersion({ name, runId, artifactPath: '../x' }), 'INVALID_ARGUMENT');
  });

  it('sets, moves, resolves and deletes aliases', async () => {
    const name = unique('model');
    await registry.createRegisteredModel({ name });
    const runId = await runWithModel();
    await registry.createModelVersion({ name, runId });
    await registry.createModelVersion({ name, runId });
    await registry.setAlias({ name, alias: 'champion', version: '1' });
    expect((await registry.getModelVersionByAlias({ name, alias: 'champion' })).version).toBe('1');
    await registry.setAlias({ name, alias: 'champion', version: '2' });
    const champion = await registry.getModelVersionByAlias({ name, alias: 'champion' });
    expect(champion.version).toBe('2');
    expect(champion.aliases).toEqual(['champion']);
    expect((await registry.getModelVersion(name, '1')).aliases).toEqual([]);
    expect((await registry.getRegisteredModel(name)).aliases).toEqual({ champion: '2' });
    await registry.deleteAlias({ name, alias: 'champion' });
    await expectCode(registry.getModelVersionByAlias({ name, alias: 'champion' }), 'NOT_FOUND');
    await expectCode(registry.deleteAlias({ name, alias: 'champion' }), 'NOT_FOUND');
  });

  it('rejects bad aliases: unknown version, reserved or invalid names', async () => {
    const name = unique('model');
    await registry.createRegisteredModel({ name });
    const runId = await runWithModel();
    await registry.createModelVersion({ name, runId });
    await expectCode(registry.setAlias({ name, alias: 'champion', version: '9' }), 'NOT_FOUND');
    await expectCode(registry.setAlias({ name, alias: 'v1', version: '1' }), 'INVALID_ARGUMENT');
    await expectCode(registry.setAlias({ name, alias: 'latest', version: '1' }), 'INVALID_ARGUMENT');
    await expectCode(registry.setAlias({ name, alias: 'has space', version: '1' }), 'INVALID_ARGUMENT');
    await expectCode(
      registry.setAlias({ name: unique('missing'), alias: 'champion', version: '1' }),
      'NOT_FOUND',
    );
    expect((await registry.getRegisteredModel(name)).aliases).toEqual({});
  });

  it('registerModel creates the registered model when missing, then the version', async () => {
    const name = unique('model');
    const runId = await runWithModel();
    const first = await registry.registerModel(name, {
      runId,
      artifactPath: 'model',
      tags: { [LineageTag.DATA_COMMIT]: 'c1' },
      description: 'first',
    });
    expect(first).toMatchObject({ name, version: '1', runId, description: 'first' });
    expect(first.tags[LineageTag.DATA_COMMIT]).toBe('c1');
    // The model exists now: the next call only adds a version; concurrent calls are fine.
    const [second, third] = await Promise.all([
      registry.registerModel(name, { runId }),
      registry.registerModel(name, { runId }),
    ]);
    expect([second.version, third.version].sort()).toEqual(['2', '3']);
    expect((await registry.getRegisteredModel(name)).latestVersion).toBe('3');
    await expectCode(registry.registerModel(unique('model'), { runId: 'no-such-run' }), 'NOT_FOUND');
  });

  it('filters the alias history to the moves of one version, and to those not after a time', async () => {
    const name = unique('model');
    const runId = await runWithModel();
    for (let i = 0; i < 3; i++) await registry.registerModel(name, { runId });
    await registry.setAlias({ name, alias: 'champion', version: '1' });
    await registry.setAlias({ name, alias: 'champion', version: '2' });
    await registry.setAlias({ name, alias: 'staging', version: '3' });
    await registry.setAlias({ name, alias: 'champion', version: '3' });
    const all = await registry.aliasHistory(name);
    const steps = (moves: { alias: string; fromVersion?: string; toVersion?: string }[]) =>
      moves.map((m) => `${m.alias}:${m.fromVersion ?? '-'}->${m.toVersion ?? '-'}`);
    expect(steps(await registry.aliasHistory(name, { version: '2' }))).toEqual([
      'champion:2->3',
      'champion:1->2',
    ]);
    expect(steps(await registry.aliasHistory(name, { version: '3', alias: 'staging' }))).toEqual([
      'staging:-->3',
    ]);
    expect(await registry.aliasHistory(name, { version: '3', maxResults: 1 })).toEqual(all.slice(0, 1));
    expect(await registry.aliasHistory(name, { version: '9' })).toEqual([]);
    const second = all[2]?.timestamp ?? 0; // champion 1 -> 2
    expect(await registry.aliasHistory(name, { notAfter: second })).toEqual(
      all.filter((m) => m.timestamp <= second),
    );
    expect(await registry.aliasHistory(name, { notAfter: (all.at(-1)?.timestamp ?? 0) - 1 })).toEqual([]);
  });

  it('records every alias move, newest first, with reason and mover', async () => {
    const name = unique('model');
    const runId = await runWithModel();
    for (let i = 0; i < 3; i++) await registry.registerModel(name, { runId });
    const started = Date.now();
    await registry.setAlias({ name, alias: 'champion', version: '1', reason: 'first model', by: 'alice' });
    await registry.setAlias(name, 'champion', '2', { reason: 'AUC 0.79 >= 0.78', by: 'run-2' });
    await registry.setAlias(name, 'champion', '2', { reason: 'again: no move', by: 'run-2' });
    await registry.setAlias(name, 'challenger', '3');
    await registry.deleteAlias({ name, alias: 'challenger', reason: 'rejected', by: 'bob' });

    const history = await registry.aliasHistory(name);
    expect(history.map((m) => [m.alias, m.fromVersion, m.toVersion, m.reason, m.by])).toEqual([
      ['challenger', '3', undefined, 'rejected', 'bob'],
      ['challenger', undefined, '3', '', process.env.USER ?? 'unknown'],
      ['champion', '1', '2', 'AUC 0.79 >= 0.78', 'run-2'],
      ['champion', undefined, '1', 'first model', 'alice'],
    ]);
    for (const move of history) {
      expect(move.name).toBe(name);
      expect(move.timestamp).toBeGreaterThanOrEqual(started - 60_000);
    }
    const champion = await registry.aliasHistory(name, { alias: 'champion' });
    expect(champion.map((m) => m.toVersion)).toEqual(['2', '1']);
    expect(await registry.aliasHistory(name, { alias: 'nope' })).toEqual([]);
    // The history is not a user tag of the model.
    expect((await registry.getRegisteredModel(name)).tags).toEqual({});
    await expectCode(registry.aliasHistory(unique('missing')), 'NOT_FOUND');
  });

  it('keeps a long reason within the tag limits', async () => {
    const name = unique('model');
    const runId = await runWithModel();
    await registry.registerModel(name, { runId });
    await registry.setAlias(name, 'champion', '1', { reason: `"quoted" ${'x'.repeat(9000)}`, by: 'ci' });
    const [move] = await registry.aliasHistory(name);
    expect(move?.reason.startsWith('"quoted" xxx')).toBe(true);
    expect(move?.reason.length).toBeGreaterThan(1000);
  });
}
