import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { LocalModelRegistry, LocalTrackingStore } from '../../src/tracking/index.js';
import { modelRegistryContract } from './model-registry.contract.js';

describe('ModelRegistry contract: embedded SQLite', () => {
  modelRegistryContract(() => {
    const root = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    return {
      tracking: new LocalTrackingStore({ root }),
      registry: new LocalModelRegistry({ root }),
      cleanup: () => {
        rmSync(root, { recursive: true, force: true });
      },
    };
  });
});
