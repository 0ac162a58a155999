import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { LocalTrackingStore } from '../../src/tracking/index.js';
import { trackingStoreContract } from './tracking-store.contract.js';

describe('TrackingStore contract: embedded SQLite', () => {
  trackingStoreContract(() => {
    const root = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    return {
      store: new LocalTrackingStore({ root }),
      cleanup: () => {
        rmSync(root, { recursive: true, force: true });
      },
    };
  });
});
