/**
 * Writes an MLflow model folder other tools can load: `MLmodel` with the `onnx` and
 * `python_function` flavors and a signature, the ONNX file, `input_example.json` (pandas
 * "split" orient), `serving_input_example.json`, and the Python environment files
 * (`requirements.txt`, `python_env.yaml`, `conda.yaml`). The layout is the one
 * `mlflow.onnx.save_model` writes, so `mlflow.pyfunc.load_model` runs the model with
 * onnxruntime: a DataFrame input is fed as one float32 tensor `[N, k]` (columns in signature
 * order) to a model with a single input.
 *
 * @example
 * ```ts
 * await writeMlflowModelFolder({
 *   dir: 'out/model',
 *   onnx: bytes,
 *   signature: { inputs: [{ name: 'distance', type: 'float' }], outputs: { type: 'tensor', dtype: 'float32', shape: [-1, 1] } },
 * });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LakeloopError } from '../../errors.js';

/** Column types of an MLflow column-based signature. */
export type ColumnType = 'float' | 'double' | 'long' | 'integer' | 'string' | 'boolean';

/** One input (or output) column. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Default true. */
  required?: boolean;
}

/** A tensor output (or input). */
export interface TensorSpec {
  type: 'tensor';
  /** Numpy dtype, e.g. `'float32'`. */
  dtype: 'float32' | 'float64' | 'int32' | 'int64';
  /** `-1` for a variable dimension, e.g. `[-1, 1]`. */
  shape: readonly number[];
  name?: string;
}

/** An MLflow model signature: named input columns and the output. */
export interface ModelSignature {
  inputs: readonly ColumnSpec[];
  outputs: TensorSpec | readonly ColumnSpec[];
}

/** An input example in pandas' "split" orient: column names and rows. */
export interface InputExample {
  columns: readonly string[];
  data: readonly (readonly (number | string | boolean)[])[];
}

/** Options of {@link writeMlflowModelFolder}. */
export interface WriteMlflowModelFolderOptions {
  /** The folder to write (created; existing files with the same names are replaced). */
  dir: string;
  /** The serialized ONNX model. */
  onnx: Uint8Array;
  signature: ModelSignature;
  /** Default: none. Its columns must be the signature's inputs. */
  inputExample?: InputExample;
  /** pip requirements; default `mlflow`, `onnx`, `onnxruntime`, `numpy`, `pandas` (unpinned). */
  requirements?: readonly string[];
  /** Python version recorded for environment re-creation. Default `'3.11'`. */
  pythonVersion?: string;
  /** Default: now. */
  createdAt?: Date;
}

/** What a written model folder contains. */
export interface MlflowModelFolder {
  dir: string;
  modelUuid: string;
  /** The flavor names, for the `mlflow.log-model.history` tag. */
  flavors: string[];
  createdAt: Date;
}

const DEFAULT_REQUIREMENTS = ['mlflow', 'onnx', 'onnxruntime', 'numpy', 'pandas'];

/** Writes an MLflow model folder (see the module comment). */
export async function writeMlflowModelFolder(
  options: WriteMlflowModelFolderOptions,
): Promise<MlflowModelFolder> {
  validateSignature(options);
  const createdAt = options.createdAt ?? new Date();
  const modelUuid = randomUUID().replaceAll('-', '');
  const pythonVersion = options.pythonVersion ?? '3.11';
  const requirements = options.requirements ?? DEFAULT_REQUIREMENTS;
  const inputs = JSON.stringify(
    options.signature.inputs.map((column) => ({
      type: column.type,
      name: column.name,
      required: column.required ?? true,
    })),
  );
  const outputs = JSON.stringify(
    isTensor(options.signature.outputs)
      ? [
          {
            type: 'tensor',
            'tensor-spec': { dtype: options.signature.outputs.dtype, shape: options.signature.outputs.shape },
            ...(options.signature.outputs.name === undefined ? {} : { name: options.signature.outputs.name }),
          },
        ]
      : options.signature.outputs.map((column) => ({
          type: column.type,
          name: column.name,
          required: column.required ?? true,
        })),
  );
  const q = (value: string): string => JSON.stringify(value);
  const lines = [
    'artifact_path: null',
    'flavors:',
    '  onnx:',
    '    code: null',
    '    data: model.onnx',
    '    onnx_session_options: null',
    '    providers:',
    '    - CPUExecutionProvider',
    '  python_function:',
    '    data: model.onnx',
    '    env:',
    '      conda: conda.yaml',
    '      virtualenv: python_env.yaml',
    '    loader_module: mlflow.onnx',
    `    python_version: ${q(pythonVersion)}`,
    `model_size_bytes: ${options.onnx.byteLength}`,
    `model_uuid: ${q(modelUuid)}`,
    ...(options.inputExample === undefined
      ? []
      : [
          'saved_input_example_info:',
          '  artifact_path: input_example.json',
          '  pandas_orient: split',
          '  serving_input_path: serving_input_example.json',
          '  type: dataframe',
        ]),
    'signature:',
    `  inputs: ${q(inputs)}`,
    `  outputs: ${q(outputs)}`,
    '  params: null',
    `utc_time_created: ${q(createdAt.toISOString().replace('T', ' ').replace('Z', ''))}`,
    '',
  ];
  await mkdir(options.dir, { recursive: true });
  await writeFile(join(options.dir, 'model.onnx'), options.onnx);
  await writeFile(join(options.dir, 'requirements.txt'), `${requirements.join('\n')}\n`);
  await writeFile(
    join(options.dir, 'python_env.yaml'),
    [
      `python: ${q(pythonVersion)}`,
      'build_dependencies:',
      '- pip',
      '- setuptools',
      '- wheel',
      'dependencies:',
      '- -r requirements.txt',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(options.dir, 'conda.yaml'),
    [
      'channels:',
      '- conda-forge',
      'dependencies:',
      `- python=${pythonVersion}`,
      '- pip',
      '- pip:',
      ...requirements.map((requirement) => `  - ${requirement}`),
      'name: mlflow-env',
      '',
    ].join('\n'),
  );
  if (options.inputExample !== undefined) {
    const example = { columns: options.inputExample.columns, data: options.inputExample.data };
    await writeFile(join(options.dir, 'input_example.json'), JSON.stringify(example));
    await writeFile(
      join(options.dir, 'serving_input_example.json'),
      JSON.stringify({ dataframe_split: example }, null, 2),
    );
  }
  // MLmodel last: a folder without it is not a model, so a crash leaves nothing that looks complete.
  await writeFile(join(options.dir, 'MLmodel'), lines.join('\n'));
  return { dir: options.dir, modelUuid, flavors: ['onnx', 'python_function'], createdAt };
}

function isTensor(outputs: ModelSignature['outputs']): outputs is TensorSpec {
  return !Array.isArray(outputs);
}

function validateSignature(options: WriteMlflowModelFolderOptions): void {
  const names = options.signature.inputs.map((column) => column.name);
  if (names.length === 0 || new Set(names).size !== names.length || names.some((name) => name === '')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'A model signature needs at least one input column, with unique non-empty names.',
    );
  }
  if (options.onnx.byteLength === 0) {
    throw new LakeloopError('INVALID_ARGUMENT', 'The ONNX model is empty; pass the serialized model bytes.');
  }
  const example = options.inputExample;
  if (example === undefined) return;
  if (example.columns.length !== names.length || example.columns.some((column, i) => column !== names[i])) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The input example's columns (${example.columns.join(', ')}) must be the signature's inputs in order (${names.join(', ')}).`,
    );
  }
  const badRow = example.data.findIndex((row) => row.length !== names.length);
  if (badRow >= 0) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Row ${badRow} of the input example has ${example.data[badRow]?.length ?? 0} values; expected ${names.length}.`,
    );
  }
}
