"""Baseline for bench/ml-train.bench.ts: fits scikit-learn's HistGradientBoostingClassifier or
LogisticRegression (lbfgs, on standardized features) on raw float32 files and prints one JSON line.

Usage: python3 sklearn_train.py --dir DIR --size small --model gbdt|lr [--iterations 100]
       [--exclude flight_freq,flight_te]   (drop these columns: "before" figures on the same matrices)
Files: DIR/<size>-train-X.f32 (row-major float32), -train-y.u8, -test-X.f32, -test-y.u8, <size>-meta.json.
Threads: set OMP_NUM_THREADS in the environment (the bench sets 2).
"""
import argparse
import json
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--size", required=True)
    parser.add_argument("--model", choices=["gbdt", "lr"], required=True)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exclude", default="", help="comma-separated feature names to drop")
    args = parser.parse_args()
    prefix = f"{args.dir}/{args.size}"
    with open(f"{prefix}-meta.json") as f:
        meta = json.load(f)
    columns = meta["columns"]
    X = np.fromfile(f"{prefix}-train-X.f32", dtype="<f4").reshape(-1, columns)
    y = np.fromfile(f"{prefix}-train-y.u8", dtype=np.uint8)
    X_test = np.fromfile(f"{prefix}-test-X.f32", dtype="<f4").reshape(-1, columns)
    y_test = np.fromfile(f"{prefix}-test-y.u8", dtype=np.uint8)
    names = meta["featureNames"]
    excluded = [name for name in args.exclude.split(",") if name]
    unknown = sorted(set(excluded) - set(names))
    if unknown:
        sys.exit(f"--exclude names unknown features {unknown}; the matrices have {names}")
    keep = [j for j, name in enumerate(names) if name not in excluded]
    X, X_test = X[:, keep], X_test[:, keep]
    rss_before_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.model == "gbdt":
        model = HistGradientBoostingClassifier(
            max_iter=args.iterations,
            max_leaf_nodes=31,
            learning_rate=0.1,
            max_bins=255,
            early_stopping=False,
            random_state=args.seed,
        )
    else:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000))
    start = time.perf_counter()
    cpu_start = time.process_time()
    model.fit(X, y)
    fit_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    p = model.predict_proba(X_test)[:, 1]
    out = {
        "sklearn": sklearn.__version__,
        "model": args.model,
        "featureNames": [names[j] for j in keep],
        "fitSeconds": fit_seconds,
        "cpuSeconds": cpu_seconds,
        "auc": float(roc_auc_score(y_test, p)),
        "logLoss": float(log_loss(y_test, p)),
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rssBeforeFitMb": rss_before_fit,
    }
    if args.model == "gbdt":
        out["iterations"] = int(model.n_iter_)
    else:
        out["iterations"] = int(model[-1].n_iter_[0])
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
