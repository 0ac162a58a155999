#!/usr/bin/env node
// Prepares what `npm test` needs before Vitest starts: the Python virtual environment `.venv` with
// the `mlflow` tracking server and the packages `mlflow.pyfunc` needs to load ONNX models
// (mlflow, onnx, onnxruntime), at the exact versions of scripts/python-requirements.txt.
// Idempotent and quick when everything is present at those versions.
//
//   node scripts/test-setup.js          # create or complete .venv
//   LAKELOOP_SKIP_PYTHON_SETUP=1 ...    # skip (the MLflow tests then skip locally and fail in CI)
//
// It never fails `npm test` itself: when the setup cannot complete it says so, and the MLflow
// tests report the missing server (failing when CI=true).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const python = join(venv, 'bin', 'python');
const requirements = join(root, 'scripts', 'python-requirements.txt');
const packages = ['mlflow', 'onnx', 'onnxruntime'];
const log = (message) => process.stdout.write(`[test-setup] ${message}\n`);

/** The pinned version of each of `packages` (`name==version` lines of the requirements file). */
function pinnedVersions() {
  const pins = new Map();
  for (const line of readFileSync(requirements, 'utf8').split('\n')) {
    const match = /^([A-Za-z0-9_.-]+)==(\S+)/.exec(line.trim());
    if (match !== null) pins.set(match[1].toLowerCase(), match[2]);
  }
  return packages.map((name) => [name, pins.get(name)]);
}

/** The packages that are missing from .venv or not at their pinned version. */
function packagesToInstall() {
  if (!existsSync(python)) return packages;
  const probe = spawnSync(
    python,
    [
      '-c',
      `import importlib.metadata as m, sys
def version(name):
    try: return m.version(name)
    except m.PackageNotFoundError: return ""
print(",".join(n for n, v in zip(sys.argv[1::2], sys.argv[2::2]) if version(n) != v))`,
      ...pinnedVersions().flat(),
    ],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) return packages;
  return probe.stdout.trim() === '' ? [] : probe.stdout.trim().split(',');
}

function run(command, args) {
  log(`$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root });
  return result.status === 0;
}

function main() {
  if (process.env.LAKELOOP_SKIP_PYTHON_SETUP === '1') {
    log('LAKELOOP_SKIP_PYTHON_SETUP=1: not preparing the Python environment.');
    return;
  }
  const missing = packagesToInstall();
  if (missing.length === 0 && existsSync(join(venv, 'bin', 'mlflow'))) {
    log('.venv has mlflow, onnx and onnxruntime at their pinned versions.');
    return;
  }
  if (!existsSync(python)) {
    log('creating the Python virtual environment .venv (python3 -m venv) ...');
    if (!run('python3', ['-m', 'venv', venv])) {
      log('could not create .venv (is python3-venv installed?); the MLflow tests will not run.');
      return;
    }
  }
  log(
    `installing ${(missing.length === 0 ? packages : missing).join(', ')} into .venv from scripts/python-requirements.txt (a few minutes the first time) ...`,
  );
  if (
    !run(python, [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--progress-bar',
      'off',
      '-r',
      requirements,
    ])
  ) {
    log('pip install failed; the MLflow tests will not run (and fail when CI=true).');
    return;
  }
  log('.venv is ready.');
}

main();
