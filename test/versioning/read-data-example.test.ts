/** examples/read-data.ts runs as documented against the embedded backend in the instance home. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DATA_COMMIT_TAG } from '../../src/core/definitions/data-commit.js';
import { closeProcessResources, defineAsset, Definitions, Instance, materialize } from '../../src/index.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { defs, longFlights, monthsRead } from '../../examples/read-data.js';

afterEach(async () => {
  await closeProcessResources();
  vi.unstubAllEnvs();
});

describe('examples/read-data.ts', () => {
  it('reads months/ at the run data commit into typed columns', async () => {
    vi.stubEnv('LAKELOOP_DATA_BACKEND', 'embedded');
    await using instance = await Instance.ephemeral();
    const data = new EmbeddedDataRepository({ home: instance.home });
    try {
      await data.createRepository({ name: 'flights' });
      const csv = 'delay,distance,origin\n20,1500,SFO\n0,1200,LAX\n30,300,SFO\n';
      await data.putObject({
        repository: 'flights',
        branch: 'main',
        path: 'months/2001-01.csv',
        content: csv,
      });
      const commit = await data.commit({ repository: 'flights', branch: 'main', message: 'january' });

      let seen: unknown;
      const observe = defineAsset({
        key: 'observe',
        deps: [monthsRead],
        compute: (_ctx, { months_read }) => (seen = months_read),
      });
      expect(defs.asset('months_read').key).toBe('months_read');

      const run = await materialize(new Definitions({ assets: [longFlights, monthsRead, observe] }), {
        instance,
        select: '*',
      });

      expect(run.status).toBe('SUCCESS');
      expect(run.tags[DATA_COMMIT_TAG]).toBe(commit.id);
      expect(seen).toEqual({ rows: 2, lateShare: 0.5, commit: commit.id, months: ['months/2001-01.csv'] });
    } finally {
      await data.close();
    }
  });
});
