"""Baseline for bench/tracking-metrics.bench.ts: the Python mlflow client logging metric points.

    .venv/bin/python bench/baselines/mlflow_log.py --uri http://127.0.0.1:5000 --points 10000 --repeats 3

Logs the same points as the TypeScript benchmark (one key, steps 0..N-1) with
`MlflowClient.log_batch`, which splits them into requests of at most 1000 metrics as the server
requires. Only the log_batch call is timed (not imports or run creation). Prints one JSON line:
{"points": N, "seconds": [..per repeat..]}.
"""

import argparse
import json
import time
import uuid

from mlflow.entities import Metric
from mlflow.tracking import MlflowClient


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", required=True)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    client = MlflowClient(tracking_uri=args.uri)
    experiment_id = client.create_experiment(f"bench-python-{uuid.uuid4().hex[:8]}")
    seconds = []
    for _ in range(args.repeats):
        run = client.create_run(experiment_id, run_name="bench")
        now = int(time.time() * 1000)
        metrics = [Metric("loss", 1.0 / (i + 1), now, i) for i in range(args.points)]
        start = time.perf_counter()
        client.log_batch(run.info.run_id, metrics=metrics)
        seconds.append(time.perf_counter() - start)
        client.set_terminated(run.info.run_id)
    print(json.dumps({"points": args.points, "seconds": seconds}))


if __name__ == "__main__":
    main()
