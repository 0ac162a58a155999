/**
 * Artifact folders of the embedded store: `<tracking>/artifacts/<experiment id>/<run id>/`.
 * Files are copied to a staging folder first and renamed into place, so a crash never leaves a
 * half-written artifact file, and paths are validated before anything is copied.
 *
 * @example
 * ```ts
 * await copyIntoArtifacts({ artifactsRoot, runDir, localPath: 'model/', artifactPath: 'model' });
 * ```
 */
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { basename, join, relative } from 'node:path';
import { LakeloopError } from '../../errors.js';
import type { ArtifactInfo } from '../tracking-types.js';

const STAGING = '.staging';

/** Options of {@link copyIntoArtifacts}. */
export interface CopyIntoArtifactsOptions {
  /** The root of all artifact folders (holds the staging folder). */
  artifactsRoot: string;
  /** The run's artifact folder. */
  runDir: string;
  /** A local file or folder. */
  localPath: string;
  /** Normalized artifact path ('' for the root). */
  artifactPath: string;
}

/** Copies a file (to `<artifactPath>/<name>`) or a folder's contents (under `<artifactPath>`). */
export async function copyIntoArtifacts(options: CopyIntoArtifactsOptions): Promise<void> {
  const info = await stat(options.localPath).catch((cause: unknown) => {
    throw new LakeloopError(
      'NOT_FOUND',
      `Cannot log the artifact ${options.localPath}: it does not exist or cannot be read.`,
      { cause },
    );
  });
  const staging = join(options.artifactsRoot, STAGING, randomUUID());
  await mkdir(staging, { recursive: true });
  try {
    const target = options.artifactPath === '' ? [] : options.artifactPath.split('/');
    if (info.isDirectory()) {
      await cp(options.localPath, staging, { recursive: true });
    } else {
      await cp(options.localPath, join(staging, basename(options.localPath)));
    }
    for (const file of await listFilesRecursively(staging)) {
      const destination = join(options.runDir, ...target, relative(staging, file));
      await mkdir(join(destination, '..'), { recursive: true });
      await rename(file, destination);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function listFilesRecursively(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Lists the direct children of `path` inside a run's artifact folder. */
export async function listArtifactFolder(runDir: string, path: string): Promise<ArtifactInfo[]> {
  const dir = join(runDir, ...(path === '' ? [] : path.split('/')));
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return [];
  if (!info.isDirectory()) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  const result: ArtifactInfo[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const childPath = path === '' ? entry.name : `${path}/${entry.name}`;
    if (entry.isDirectory()) {
      result.push({ path: childPath, isDir: true, fileSize: undefined });
    } else {
      const size = (await stat(join(dir, entry.name))).size;
      result.push({ path: childPath, isDir: false, fileSize: size });
    }
  }
  return result;
}

/** Copies a file or folder of a run's artifacts to `destination/<path>`; returns that local path. */
export async function copyOutOfArtifacts(options: {
  runDir: string;
  path: string;
  destination: string;
}): Promise<string> {
  const segments = options.path === '' ? [] : options.path.split('/');
  const source = join(options.runDir, ...segments);
  const exists = await stat(source).catch(() => undefined);
  if (exists === undefined) {
    throw new LakeloopError(
      'NOT_FOUND',
      `The run has no artifact "${options.path}"; list them with listArtifacts.`,
    );
  }
  const target = join(options.destination, ...segments);
  await mkdir(exists.isDirectory() ? target : join(target, '..'), { recursive: true });
  await cp(source, target, { recursive: true });
  return target;
}
