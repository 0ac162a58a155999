/** The README's "first asset" example runs as printed (examples/first-asset.ts is the same code). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Instance, materialize } from 'lakeloop';
import { defs } from '../examples/first-asset.js';

describe('README first asset', () => {
  it('is the code in examples/first-asset.ts', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/first-asset.ts', import.meta.url), 'utf8');
    const body = (text: string): string =>
      text.slice(text.indexOf('import '), text.indexOf('checks: [notEmpty] });'));
    expect(body(readme)).toBe(body(example));
  });

  it('materializes both assets and stores the mean', async () => {
    await using instance = await Instance.ephemeral();
    const run = await materialize(defs, { select: '*', instance });
    expect(run.status).toBe('SUCCESS');
    const events = await instance.events.getEvents({ runId: run.runId, types: ['ASSET_MATERIALIZATION'] });
    expect(events.map((e) => e.materialization?.assetKey).sort()).toEqual(['numbers', 'stats']);
    const stats = events.find((e) => e.materialization?.assetKey === 'stats');
    expect(stats?.materialization?.metadata).toMatchObject({ rows: 5 });
  });
});
