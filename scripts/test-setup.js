#!/usr/bin/env node
// Prepares what `npm test` needs before Vitest starts: the Python virtual environment `.venv` with
// the `mlflow` tracking server and the packages `mlflow.pyfunc` needs to load ONNX models
// (mlflow, onnx, onnxruntime). Idempotent and quick when everything is present.
//
//   node scripts/test-setup.js          # create or complete .venv
//   LAKELOOP_SKIP_PYTHON_SETUP=1 ...    # skip (the MLflow tests then skip locally and fail in CI)
//
// It never fails `npm test` itself: when the setup cannot complete it says so, and the MLflow
// tests report the missing server (failing when CI=true).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const python = join(venv, 'bin', 'python');
const packages = ['mlflow', 'onnx', 'onnxruntime'];
const log = (message) => process.stdout.write(`[test-setup] ${message}\n`);

function missingPackages() {
  if (!existsSync(python)) return packages;
  const probe = spawnSync(
    python,
    [
      '-c',
      `import importlib.util, sys; print(",".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))`,
      ...packages,
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
  const missing = missingPackages();
  if (missing.length === 0 && existsSync(join(venv, 'bin', 'mlflow'))) {
    log('.venv has mlflow, onnx and onnxruntime.');
    return;
  }
  if (!existsSync(python)) {
    log('creating the Python virtual environment .venv (python3 -m venv) ...');
    if (!run('python3', ['-m', 'venv', venv])) {
      log('could not create .venv (is python3-venv installed?); the MLflow tests will not run.');
      return;
    }
  }
  const toInstall = missing.length === 0 ? packages : missing;
  log(`installing ${toInstall.join(', ')} into .venv (a few minutes the first time) ...`);
  if (
    !run(python, [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--progress-bar',
      'off',
      ...toInstall,
    ])
  ) {
    log('pip install failed; the MLflow tests will not run (and fail when CI=true).');
    return;
  }
  log('.venv is ready.');
}

main();
