"""One fit of a peer gradient boosting library for bench/ml-train.bench.ts (issue 18); prints one JSON line.

Same settings for every library: 100 trees, 31 leaves, learning rate 0.1, 255 bins, no early
stopping, binary log-loss, `--threads` threads (XGBoost: hist + lossguide). The fit time includes
binning (LightGBM's and XGBoost's Dataset/DMatrix construction happens inside `fit`), as lakeloop's.
After the fit: AUC and log loss on the test rows, and the time to score `--predict-rows` rows (the
test rows repeated up to that count).

Usage: python gbdt_peers_train.py --dir DIR --size small --library lightgbm|xgboost|sklearn --threads 2
Files: DIR/<size>-train-X.f32 (row-major float32), -train-y.u8, -test-X.f32, -test-y.u8, <size>-meta.json.
"""
import argparse
import json
import os
import resource
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--size", required=True)
    parser.add_argument("--library", choices=["lightgbm", "xgboost", "sklearn"], required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--predict-rows", type=int, default=500_000)
    args = parser.parse_args()
    # OpenMP reads this at load time: set before numpy/the libraries are imported.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import numpy as np
    from sklearn.metrics import log_loss, roc_auc_score

    prefix = f"{args.dir}/{args.size}"
    with open(f"{prefix}-meta.json") as f:
        meta = json.load(f)
    columns = meta["columns"]
    X = np.fromfile(f"{prefix}-train-X.f32", dtype="<f4").reshape(-1, columns)
    y = np.fromfile(f"{prefix}-train-y.u8", dtype=np.uint8)
    X_test = np.fromfile(f"{prefix}-test-X.f32", dtype="<f4").reshape(-1, columns)
    y_test = np.fromfile(f"{prefix}-test-y.u8", dtype=np.uint8)

    if args.library == "lightgbm":
        import lightgbm as lib

        model = lib.LGBMClassifier(
            n_estimators=args.iterations,
            num_leaves=31,
            learning_rate=0.1,
            max_bin=255,
            min_child_samples=20,
            n_jobs=args.threads,
            random_state=args.seed,
            verbose=-1,
        )
    elif args.library == "xgboost":
        import xgboost as lib

        model = lib.XGBClassifier(
            n_estimators=args.iterations,
            tree_method="hist",
            grow_policy="lossguide",
            max_leaves=31,
            max_depth=0,
            learning_rate=0.1,
            max_bin=255,
            n_jobs=args.threads,
            random_state=args.seed,
        )
    else:
        import sklearn as lib
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(
            max_iter=args.iterations,
            max_leaf_nodes=31,
            learning_rate=0.1,
            max_bins=255,
            early_stopping=False,
            random_state=args.seed,
        )
    rss_before_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    cpu_start = time.process_time()
    model.fit(X, y)
    fit_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    # peak of the fit (data loaded + training), before the prediction matrix exists
    peak_rss_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p = model.predict_proba(X_test)[:, 1]
    predict_seconds = None
    predict_rows = None
    if args.predict_rows > 0:
        repeats = -(-args.predict_rows // X_test.shape[0])
        X_predict = np.ascontiguousarray(np.tile(X_test, (repeats, 1))[: args.predict_rows])
        start = time.perf_counter()
        model.predict_proba(X_predict)
        predict_seconds = time.perf_counter() - start
        predict_rows = int(X_predict.shape[0])
    out = {
        "library": args.library,
        "version": lib.__version__,
        "threads": args.threads,
        "fitSeconds": fit_seconds,
        "cpuSeconds": cpu_seconds,
        "auc": float(roc_auc_score(y_test, p)),
        "logLoss": float(log_loss(y_test, p)),
        "peakRssMb": peak_rss_fit,
        "rssBeforeFitMb": rss_before_fit,
    }
    if predict_seconds is not None:
        out["predictSeconds"] = predict_seconds
        out["predictRows"] = predict_rows
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
