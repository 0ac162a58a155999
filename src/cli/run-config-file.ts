/**
 * `--config <file>`: reads a run config from a JSON or YAML file (by extension: `.json`,
 * `.yaml`/`.yml`), e.g.
 *
 * ```yaml
 * train_model:
 *   learningRate: 0.05
 * retrain:
 *   months: 6
 * ```
 *
 * @example
 * ```ts
 * const config = await readRunConfigFile('run.yaml'); // { train_model: { learningRate: 0.05 }, ... }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { describeError, LakeloopError } from '../errors.js';

/**
 * The config object in `path`; throws INVALID_ARGUMENT when the file is missing, unparsable, of
 * another kind, or not an object.
 */
export async function readRunConfigFile(path: string): Promise<Record<string, unknown>> {
  const kind = extname(path).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(kind)) {
    throw new LakeloopError('INVALID_ARGUMENT', `--config ${path}: give a .json, .yaml or .yml file.`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `--config ${path}: cannot read the file (${describeError(cause)}).`,
      {
        cause,
      },
    );
  }
  let value: unknown;
  try {
    // yaml imported here, not at the top: it costs ~0.1 s of start-up to every command.
    value = kind === '.json' ? JSON.parse(text) : (await import('yaml')).parse(text);
  } catch (cause) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `--config ${path}: not valid ${kind === '.json' ? 'JSON' : 'YAML'} (${describeError(cause)}).`,
      { cause },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `--config ${path}: give an object with one section per asset key or job name, e.g. "train_model: { learningRate: 0.05 }".`,
    );
  }
  return value as Record<string, unknown>;
}
