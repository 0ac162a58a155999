#!/usr/bin/env node
// Prepares what `npm test` needs before Vitest starts (filled in by the tracking area: the
// Python virtual environment with the `mlflow` server).
