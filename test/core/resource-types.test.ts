/**
 * Type-level tests (checked by `tsc --noEmit`, which includes test/): a consumer's typed
 * resources and config compile without declaration merging, and a wrong property does not.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineAsset, defineCheck, defineResource, Definitions } from '../../src/index.js';
import type { DataCommitRef, ResourceDefinition } from '../../src/index.js';

interface Repo {
  read(path: string): Promise<string>;
}
interface StepJournal {
  note(text: string): void;
}

const repo = defineResource({ setup: (): Repo => ({ read: (p) => Promise.resolve(p) }) });
const journal = defineResource({
  setup: () => ({ lines: [] as string[] }),
  bind: (value, step): { value: StepJournal } => ({
    value: { note: (text) => value.lines.push(`${step.assetKey}: ${text}`) },
  }),
});

describe('typed resources', () => {
  it('infers a resource definition from setup and bind', () => {
    expectTypeOf(repo).toEqualTypeOf<ResourceDefinition<Repo, Repo>>();
    expectTypeOf(journal).toEqualTypeOf<ResourceDefinition<{ lines: string[] }, StepJournal>>();
  });

  it('types ctx.resources from the declared record, ctx.config from the schema, ctx.dataCommit', () => {
    const asset = defineAsset({
      key: 'typed',
      resources: { repo, journal, threshold: 0.5 },
      config: z.object({ path: z.string(), retries: z.number().default(2) }),
      compute: async (ctx) => {
        expectTypeOf(ctx.resources.repo).toEqualTypeOf<Repo>();
        expectTypeOf(ctx.resources.journal).toEqualTypeOf<StepJournal>();
        expectTypeOf(ctx.resources.threshold).toEqualTypeOf<number>();
        expectTypeOf(ctx.config).toEqualTypeOf<{ path: string; retries: number }>();
        expectTypeOf(ctx.dataCommit).toEqualTypeOf<DataCommitRef | undefined>();
        // @ts-expect-error -- not a declared resource
        expectTypeOf(ctx.resources.tracking).toBeUnknown();
        // @ts-expect-error -- not a field of the config schema
        expectTypeOf(ctx.config.learningRate).toBeUnknown();
        ctx.resources.journal.note('read');
        return ctx.resources.repo.read(ctx.config.path);
      },
    });
    expectTypeOf(asset.key).toEqualTypeOf<'typed'>();
    const check = defineCheck({
      name: 'non_empty',
      asset,
      resources: { journal },
      fn: (ctx, value) => {
        expectTypeOf(value).toEqualTypeOf<string>();
        expectTypeOf(ctx.resources.journal).toEqualTypeOf<StepJournal>();
        // @ts-expect-error -- the check did not declare repo
        expectTypeOf(ctx.resources.repo).toBeUnknown();
        return value.length > 0;
      },
    });
    expectTypeOf(new Definitions({ assets: [asset], checks: [check] })).toEqualTypeOf<Definitions>();
  });

  it('keeps names of Definitions resources working, typed unknown, and ctx.config undefined without a schema', () => {
    defineAsset({
      key: 'named',
      resources: ['settings'],
      compute: (ctx) => {
        expectTypeOf(ctx.resources['settings']).toEqualTypeOf<unknown>();
        expectTypeOf(ctx.config).toEqualTypeOf<undefined>();
      },
    });
  });
});
