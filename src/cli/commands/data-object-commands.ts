/**
 * The object sub-commands of `lakeloop data`: `put` (a file, or a directory under a prefix),
 * `cat`, `ls`, `stat` and `rm` (an object, or with `--recursive` everything under a prefix). Puts
 * and removals are staged on the branch; `lakeloop data commit` commits them.
 *
 * @example
 * ```sh
 * lakeloop data put ./exports lakefs://flights/main/exports/      # every file, relative paths kept
 * lakeloop data stat lakefs://flights/main/exports/a.csv --json
 * lakeloop data rm --recursive lakefs://flights/main/exports/
 * ```
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { LakeloopError, isLakeloopError } from '../../errors.js';
import { checkObjectPath } from '../../versioning/data-names.js';
import type { DataRepository, ObjectStat } from '../../versioning/data-repository.js';
import { formatDataUri, parseDataUri } from '../../versioning/data-uri.js';
import type { DataUri } from '../../versioning/data-uri.js';
import { printJson, printTable } from '../output.js';
import { all, collectMeta, formatBytes, withData, withProgress } from './data-command-support.js';

interface PutOptions {
  contentType?: string;
  meta?: Record<string, string>;
  json?: boolean;
}

/** Registers put, cat, ls, stat and rm on the `data` command. */
export function registerObjectCommands(data: Command): void {
  data
    .command('put <local> <uri>')
    .description(
      'stage a local file at lakefs://<repo>/<branch>/<path>, or every file of a local directory under lakefs://<repo>/<branch>/<prefix>/ (commit with `data commit`)',
    )
    .option('--content-type <type>', 'media type (default: from each file extension)')
    .option('--meta <key=value>', 'user metadata (repeatable; on every file of a directory)', collectMeta)
    .option('--json', 'print JSON')
    .action(async (local: string, uri: string, options: PutOptions, command: Command) => {
      const target = parseDataUri(uri);
      if (!existsSync(local)) throw new LakeloopError('NOT_FOUND', `No file or directory at ${local}.`);
      if (statSync(local).isDirectory()) {
        await putDirectory(command, local, target, uri, options);
        return;
      }
      if (target.path === '' || target.path.endsWith('/')) {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          `${uri} names a prefix; give the object path, e.g. ${uri.replace(/\/?$/, '/file.csv')}.`,
        );
      }
      if (!statSync(local).isFile()) throw new LakeloopError('NOT_FOUND', `No file at ${local}.`);
      const stat = await withData(command, (d) => putFile(d, target, target.path, local, options));
      if (options.json === true) printJson(stat);
      else process.stdout.write(`staged ${uri} (${stat.sizeBytes} bytes, ${stat.checksum.slice(0, 12)})\n`);
    });
  data
    .command('cat <uri>')
    .description('write an object to stdout')
    .action(async (uri: string, _options: unknown, command: Command) => {
      const target = parseDataUri(uri);
      await withData(command, async (d) => {
        const stream = await d.getObject({
          repository: target.repository,
          ref: target.ref,
          path: target.path,
        });
        await pipeline(stream, process.stdout, { end: false });
      });
    });
  data
    .command('ls <uri>')
    .description('list objects under lakefs://<repo>/<ref>/<prefix>')
    .option('-r, --recursive', 'list every object instead of grouping by /')
    .option('--json', 'print JSON')
    .action(async (uri: string, options: { recursive?: boolean; json?: boolean }, command: Command) => {
      const target = parseDataUri(uri);
      const entries = await withData(command, (d) =>
        all((page) =>
          d.listObjects({
            repository: target.repository,
            ref: target.ref,
            prefix: target.path,
            ...(options.recursive === true ? {} : { delimiter: '/' }),
            ...page,
          }),
        ),
      );
      if (options.json === true) {
        printJson(entries);
        return;
      }
      printTable(
        ['path', 'size', 'modified', 'checksum'],
        entries.map((e) =>
          e.pathType === 'common_prefix'
            ? [e.path, '', '', '']
            : [e.path, e.sizeBytes, e.mtime, e.checksum.slice(0, 12)],
        ),
      );
    });
  data
    .command('stat <uri>')
    .description("an object's checksum, size, content type, modification time and user metadata")
    .option('--json', 'print JSON')
    .action(async (uri: string, options: { json?: boolean }, command: Command) => {
      const target = parseDataUri(uri);
      const stat = await withData(command, (d) =>
        d.statObject({ repository: target.repository, ref: target.ref, path: target.path }),
      );
      if (options.json === true) {
        printJson(stat);
        return;
      }
      const lines: [string, string][] = [
        ['path', stat.path],
        ['checksum', stat.checksum],
        ['size', `${stat.sizeBytes} bytes (${formatBytes(stat.sizeBytes)})`],
        ['content type', stat.contentType],
        ['modified', stat.mtime.toISOString()],
        ...Object.entries(stat.metadata).map(([key, value]): [string, string] => [`meta ${key}`, value]),
      ];
      const width = Math.max(...lines.map(([key]) => key.length));
      for (const [key, value] of lines) process.stdout.write(`${`${key}:`.padEnd(width + 2)}${value}\n`);
    });
  data
    .command('rm <uri>')
    .description(
      'stage the deletion of an object on a branch (with --recursive: of every object under a prefix); a missing object is NOT_FOUND',
    )
    .option('-r, --recursive', 'delete every object under the prefix (the path itself if it is an object)')
    .option('--json', 'print JSON')
    .action(async (uri: string, options: { recursive?: boolean; json?: boolean }, command: Command) => {
      const target = parseDataUri(uri);
      const deleted = await withData(command, (d) =>
        options.recursive === true ? removeRecursive(d, target, uri, options) : removeOne(d, target, uri),
      );
      if (options.json === true) printJson({ deleted });
      else if (options.recursive === true)
        process.stdout.write(
          `staged the deletion of ${deleted.length} object(s) under ${uri}; commit with \`lakeloop data commit ${target.repository} ${target.ref} -m …\`\n`,
        );
      else process.stdout.write(`staged the deletion of ${uri}\n`);
    });
}

function putFile(
  data: DataRepository,
  target: DataUri,
  path: string,
  file: string,
  options: PutOptions,
): Promise<ObjectStat> {
  return data.putObject({
    repository: target.repository,
    branch: target.ref,
    path,
    content: createReadStream(file, { highWaterMark: 1 << 20 }),
    contentType: options.contentType ?? contentTypeOf(file),
    metadata: options.meta ?? {},
  });
}

/** Stages every file under `dir` at `<prefix><relative path>`, after checking every path. */
async function putDirectory(
  command: Command,
  dir: string,
  target: DataUri,
  uri: string,
  options: PutOptions,
): Promise<void> {
  if (target.path !== '' && !target.path.endsWith('/')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${dir} is a directory: give a prefix ending in "/" to put its files under (e.g. ${uri}/); each file keeps its path relative to ${dir}.`,
    );
  }
  const files = filesUnder(dir);
  if (files.length === 0) throw new LakeloopError('NOT_FOUND', `No files under ${dir}; nothing to put.`);
  // Every object path is checked before the first upload: a bad name stages nothing.
  const planned = files.map((relative) => ({
    file: join(dir, relative),
    path: checkObjectPath(`${target.path}${relative}`),
  }));
  const stats = await withData(command, (d) =>
    withProgress(planned, { label: 'put', ...(options.json === true ? { json: true } : {}) }, (item) =>
      putFile(d, target, item.path, item.file, options),
    ),
  );
  if (options.json === true) {
    printJson(stats);
    return;
  }
  const bytes = stats.reduce((sum, stat) => sum + stat.sizeBytes, 0);
  process.stdout.write(
    `staged ${stats.length} file(s) (${formatBytes(bytes)}) under ${uri}; commit with \`lakeloop data commit ${target.repository} ${target.ref} -m …\`\n`,
  );
}

/** Paths of the regular files under `dir`, relative and `/`-separated, sorted; symlinked folders are not followed. */
function filesUnder(dir: string, relative = ''): string[] {
  const found: string[] = [];
  const entries = readdirSync(join(dir, relative), { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  );
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) found.push(...filesUnder(dir, path));
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(join(dir, path)).isFile()))
      found.push(path);
  }
  return found;
}

/** Stages the deletion of one existing object; NOT_FOUND (deleting nothing) when it is missing. */
async function removeOne(data: DataRepository, target: DataUri, uri: string): Promise<string[]> {
  if (target.path === '' || target.path.endsWith('/')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${uri} names a prefix; pass --recursive to delete every object under it.`,
    );
  }
  try {
    await data.statObject({ repository: target.repository, ref: target.ref, path: target.path });
  } catch (error) {
    if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    // lakeFS and the API accept deleting a missing object silently; on the command line it is a typo.
    throw new LakeloopError(
      'NOT_FOUND',
      `No object at ${uri}; nothing was deleted (for every object under a prefix use --recursive).`,
      { cause: error, details: { uri } },
    );
  }
  await data.deleteObject({ repository: target.repository, branch: target.ref, path: target.path });
  return [formatDataUri(target)];
}

/**
 * Stages the deletion of the object at the path and of every object under `<path>/` (not of
 * `<path>suffix`: `data` does not take `database.csv` along); NOT_FOUND when there is none.
 */
async function removeRecursive(
  data: DataRepository,
  target: DataUri,
  uri: string,
  options: { json?: boolean },
): Promise<string[]> {
  const folder = target.path === '' || target.path.endsWith('/') ? target.path : `${target.path}/`;
  const listed = await all((page) =>
    data.listObjects({ repository: target.repository, ref: target.ref, prefix: target.path, ...page }),
  );
  const paths = listed
    .map((entry) => entry.path)
    .filter((path) => path === target.path || path.startsWith(folder));
  if (paths.length === 0) {
    throw new LakeloopError('NOT_FOUND', `No objects at or under ${uri}; nothing was deleted.`, {
      details: { uri },
    });
  }
  await withProgress(paths, { label: 'rm', ...(options.json === true ? { json: true } : {}) }, (path) =>
    data.deleteObject({ repository: target.repository, branch: target.ref, path }),
  );
  return paths.map((path) => formatDataUri({ ...target, path }));
}

function contentTypeOf(file: string): string {
  switch (extname(file).toLowerCase()) {
    case '.parquet':
      return 'application/vnd.apache.parquet';
    case '.csv':
      return 'text/csv';
    case '.json':
      return 'application/json';
    case '.txt':
      return 'text/plain';
    default:
      return 'application/octet-stream';
  }
}
