import { describe, expect, it } from 'vitest';
import {
  defineAsset,
  Definitions,
  formatStepProgress,
  Instance,
  manualClock,
  materialize,
  stepProgress,
} from '../../src/index.js';

describe('stepProgress', () => {
  it('writes the first update, then at most one line per 2 s, and always the last one', () => {
    const clock = manualClock(1_000_000);
    const lines: string[] = [];
    const progress = stepProgress({ info: (line) => lines.push(line) }, { clock });
    const written: boolean[] = [];
    // 100 trees, one every 300 ms: 30 s of training.
    for (let tree = 1; tree <= 100; tree++) {
      clock.advance(300);
      written.push(progress({ done: tree, total: 100, unit: 'trees' }));
    }
    expect(lines[0]).toBe('progress: 1/100 trees, 0.3 s');
    expect(lines.at(-1)).toBe('progress: 100/100 trees, 30.0 s');
    expect(written.filter(Boolean).length).toBe(lines.length);
    // Every 7th tree (2.1 s) after the first, plus the last: never two lines within 2 s but the last.
    expect(lines.length).toBe(1 + Math.floor(99 / 7) + 1);
    const seconds = lines.map((l) => Number(/, ([\d.]+) s/.exec(l)?.[1]));
    for (let i = 1; i < seconds.length - 1; i++) {
      expect((seconds[i] ?? 0) - (seconds[i - 1] ?? 0)).toBeGreaterThanOrEqual(2);
    }
  });

  it('a slow step gets a line at every update once 2 s passed', () => {
    const clock = manualClock(0);
    const lines: string[] = [];
    const progress = stepProgress({ info: (line) => lines.push(line) }, { clock, everyMs: 2000 });
    progress({ done: 1, total: 10 });
    clock.advance(1999);
    expect(progress({ done: 2, total: 10 })).toBe(false);
    clock.advance(1);
    expect(progress({ done: 3, total: 10 })).toBe(true);
    expect(lines).toEqual(['progress: 1/10, 0.0 s', 'progress: 3/10, 2.0 s']);
  });

  it('formats counts without a total, with a unit and a message', () => {
    expect(formatStepProgress({ done: 5000, unit: 'rows', message: 'loading March' }, 1234)).toBe(
      'progress: 5000 rows, 1.2 s (loading March)',
    );
  });

  it("a step's progress lines are LOG events of its run", async () => {
    const clock = manualClock(0);
    await using instance = await Instance.ephemeral();
    const train = defineAsset({
      key: 'train',
      compute: (ctx) => {
        const progress = stepProgress(ctx.log, { clock });
        for (let tree = 1; tree <= 20; tree++) {
          clock.advance(500);
          progress({ done: tree, total: 20, unit: 'trees' });
        }
        return 'model';
      },
    });
    const run = await materialize(new Definitions({ assets: [train] }), { instance, select: '*' });
    const logs = await instance.events.getEvents({ runId: run.runId, types: ['LOG'] });
    expect(logs.map((e) => e.message)).toEqual([
      'progress: 1/20 trees, 0.5 s',
      'progress: 5/20 trees, 2.5 s',
      'progress: 9/20 trees, 4.5 s',
      'progress: 13/20 trees, 6.5 s',
      'progress: 17/20 trees, 8.5 s',
      'progress: 20/20 trees, 10.0 s',
    ]);
    expect(logs.every((e) => e.stepKey === 'train' && e.level === 'INFO')).toBe(true);
  });
});
