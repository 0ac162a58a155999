/**
 * Where an instance's model servers log their predictions: `<home>/serving/prediction-logs.json`,
 * model name -> the `lakefs://` URIs given to `lakeloop serve --log-predictions`. `lakeloop models
 * show` reads it to measure the drift of served inputs. Written atomically (a temporary file
 * renamed over the old one); concurrent servers may lose each other's entry, never corrupt it.
 *
 * @example
 * ```ts
 * await recordPredictionLog({ home, model: 'flight-delays', uri: 'lakefs://flights/predictions/served/' });
 * predictionLogsOf({ home, model: 'flight-delays' }); // ['lakefs://flights/predictions/served/']
 * ```
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

type Index = Record<string, string[]>;

function indexPath(home: string): string {
  return join(home, 'serving', 'prediction-logs.json');
}

function readIndex(home: string): Index {
  try {
    const parsed: unknown = JSON.parse(readFileSync(indexPath(home), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Index) : {};
  } catch {
    return {};
  }
}

/** The prediction log URIs recorded for `model` (none when the file is absent or unreadable). */
export function predictionLogsOf(options: { home: string; model: string }): string[] {
  const uris = readIndex(options.home)[options.model];
  return Array.isArray(uris) ? uris.filter((uri): uri is string => typeof uri === 'string') : [];
}

/** Records that `model`'s predictions are logged at `uri`. */
export async function recordPredictionLog(options: {
  home: string;
  model: string;
  uri: string;
}): Promise<void> {
  const index = readIndex(options.home);
  const uris = index[options.model] ?? [];
  if (uris.includes(options.uri)) return;
  index[options.model] = [...uris, options.uri];
  mkdirSync(join(options.home, 'serving'), { recursive: true });
  const temporary = `${indexPath(options.home)}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(index, null, 2)}\n`);
  await rename(temporary, indexPath(options.home));
}
