"""Loads a model with MLflow's own Python client and prints its predictions as JSON.

Proves that models lakeloop registers are usable by other tools:

    .venv/bin/python test/python/score_model.py --uri http://127.0.0.1:5000 \
        --model models:/flight-delays@champion --input rows.json

`--input` is a JSON file in pandas' "split" orient ({"columns": [...], "data": [[...], ...]}).
The output is one JSON list with the first output column of each row.
"""

import argparse
import json
import sys

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", help="tracking server URI (omit for a local model folder)")
    parser.add_argument("--model", required=True, help="models:/<name>@<alias> or a model folder")
    parser.add_argument("--input", required=True, help="JSON rows in pandas split orient")
    args = parser.parse_args()

    if args.uri:
        mlflow.set_tracking_uri(args.uri)
        mlflow.set_registry_uri(args.uri)
    with open(args.input, encoding="utf-8") as f:
        rows = json.load(f)
    frame = pd.DataFrame(rows["data"], columns=rows["columns"]).astype(np.float32)
    model = mlflow.pyfunc.load_model(args.model)
    predictions = model.predict(frame)
    if isinstance(predictions, pd.DataFrame):
        values = np.asarray(predictions.iloc[:, 0].tolist(), dtype=np.float64).reshape(-1)
    elif isinstance(predictions, dict):
        values = np.asarray(next(iter(predictions.values())), dtype=np.float64).reshape(-1)
    else:
        values = np.asarray(predictions, dtype=np.float64).reshape(-1)
    json.dump([float(v) for v in values], sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
