import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  readCachedFlightFeatures,
  writeFlightFeatureMatrices,
  type FlightFeatureMatrices,
} from '../../bench/flight-features.js';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '../../pipelines/flight-delays/features/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakeloop-flight-cache-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Two train rows and one test row of the current feature set. */
function tinyMatrices(): FlightFeatureMatrices {
  const featureNames = [...FEATURE_NAMES];
  const columns = featureNames.length;
  const table = (rows: number) => ({
    features: Float32Array.from({ length: rows * columns }, (_, i) => i / 8),
    labels: Uint8Array.from({ length: rows }, (_, i) => i % 2),
    rows,
    columns,
    featureNames,
  });
  return { size: 'small', train: table(2), test: table(1), featureNames };
}

describe('flight feature bench cache', () => {
  it('reads back what it wrote, and never a cache of another feature version or other feature names', () => {
    const written = tinyMatrices();
    const paths = writeFlightFeatureMatrices(dir, written);
    const read = readCachedFlightFeatures(dir, 'small');
    expect(read?.featureNames).toEqual([...FEATURE_NAMES]);
    expect(read?.train.features).toEqual(written.train.features);
    expect(read?.test.labels).toEqual(written.test.labels);

    const meta = JSON.parse(readFileSync(paths.meta ?? '', 'utf8')) as Record<string, unknown>;
    writeFileSync(paths.meta ?? '', JSON.stringify({ ...meta, version: 'flight-features-v2' }));
    expect(FEATURE_SET_VERSION).not.toBe('flight-features-v2');
    expect(readCachedFlightFeatures(dir, 'small')).toBeUndefined();

    // same version string but the columns of the feature set before the scheduled-flight encoding
    const older = FEATURE_NAMES.filter((name) => !name.startsWith('flight_'));
    writeFileSync(paths.meta ?? '', JSON.stringify({ ...meta, featureNames: older, columns: older.length }));
    expect(readCachedFlightFeatures(dir, 'small')).toBeUndefined();
  });
});
