// examples/first-asset.ts: the first asset of the README (kept in sync by test/readme-example.test.ts).
import { defineAsset, defineCheck, Definitions } from 'lakeloop';

const numbers = defineAsset({ key: 'numbers', compute: () => [3, 1, 4, 1, 5] });

const stats = defineAsset({
  key: 'stats',
  deps: [numbers], // typed input: `numbers` is number[]
  codeVersion: 'v1', // bump it when the logic changes: the asset becomes STALE
  compute: (ctx, { numbers }) => {
    ctx.addMetadata({ rows: numbers.length });
    return { mean: numbers.reduce((a, b) => a + b, 0) / numbers.length };
  },
});

const notEmpty = defineCheck({
  name: 'not_empty',
  asset: numbers,
  blocking: true,
  fn: (_ctx, v) => v.length > 0,
});

export const defs = new Definitions({ assets: [numbers, stats], checks: [notEmpty] });
