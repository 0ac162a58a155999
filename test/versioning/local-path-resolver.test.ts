/**
 * The local cache of data files is named by checksum, so a checksum must never steer a write
 * outside the cache (issue #11, finding 10a): a backend answering `..` once made the resolver
 * overwrite the embedded repository's own `repository.db`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import type { ObjectAddress, ObjectStat } from '../../src/versioning/data-repository.js';
import { resolveDataFile } from '../../src/versioning/local-path-resolver.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';

/** The real embedded backend, with the checksum its stat answers replaced (a faulty backend). */
class ChecksumOverride extends EmbeddedDataRepository {
  checksum: string | undefined;
  override async statObject(options: ObjectAddress): Promise<ObjectStat> {
    const stat = await super.statObject(options);
    return this.checksum === undefined ? stat : { ...stat, checksum: this.checksum };
  }
}

const homes: string[] = [];
const repos: EmbeddedDataRepository[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.close();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

async function setup(path: string): Promise<{ data: ChecksumOverride; home: string; uri: string }> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-resolver-'));
  homes.push(home);
  const data = new ChecksumOverride({ home });
  repos.push(data);
  await data.createRepository({ name: 'flights' });
  await data.putObject({ repository: 'flights', branch: 'main', path, content: 'not a database' });
  await data.commit({ repository: 'flights', branch: 'main', message: 'add' });
  return { data, home, uri: `lakefs://flights/main/${path}` };
}

describe('resolveDataFile and backend checksums', () => {
  it('refuses a checksum of `..` with a typed error and writes nothing outside the cache', async () => {
    const { data, home, uri } = await setup('evil/repository.db');
    const database = join(home, 'data', 'repository.db');
    const before = readFileSync(database);
    for (const checksum of ['..', '../..', 'abc/../../x', '.', '', 'deadbeef/..']) {
      data.checksum = checksum;
      const error = await resolveDataFile(data, uri, { cacheDir: join(home, 'data', 'cache') }).catch(
        (caught: unknown) => caught,
      );
      expect(isLakeloopError(error, 'INTERNAL'), checksum).toBe(true);
      expect((error as Error).message).toMatch(/not a hex digest/);
    }
    expect(readFileSync(database).equals(before)).toBe(true);
  });

  it('accepts hex digests: sha256 (embedded), md5 ETags and S3 multipart ETags (lakeFS)', async () => {
    const { data, home, uri } = await setup('months/2001-01.csv');
    const cacheDir = join(home, 'data', 'cache');
    const real = await resolveDataFile(data, uri, { cacheDir });
    expect(real.path.startsWith(join(cacheDir, real.stat.checksum))).toBe(true);
    for (const checksum of ['9e107d9d372bb6826bd81d3542a419d6', 'D41D8CD98F00B204E9800998ECF8427E-12']) {
      data.checksum = checksum;
      const file = await resolveDataFile(data, uri, { cacheDir });
      expect(file.path).toBe(join(cacheDir, checksum.toLowerCase(), '2001-01.csv'));
      expect(readFileSync(file.path, 'utf8')).toBe('not a database');
    }
  });
});
