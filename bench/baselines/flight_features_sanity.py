"""Sanity check of the flight-delay feature matrices with sklearn (BRIEF §3 reference: AUC 0.7895).

Usage: .venv/bin/python bench/baselines/flight_features_sanity.py [small|full] [dir]
(build the files first: node --conditions=lakeloop-source --import tsx bench/flight-features.ts small)
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

size = sys.argv[1] if len(sys.argv) > 1 else "small"
folder = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "data", "flight-features")
meta = json.load(open(os.path.join(folder, f"{size}-meta.json")))
cols = meta["columns"]
X = np.fromfile(os.path.join(folder, f"{size}-train-X.f32"), "<f4").reshape(meta["rows"], cols)
y = np.fromfile(os.path.join(folder, f"{size}-train-y.u8"), "u1")
Xt = np.fromfile(os.path.join(folder, f"{size}-test-X.f32"), "<f4").reshape(meta["testRows"], cols)
yt = np.fromfile(os.path.join(folder, f"{size}-test-y.u8"), "u1")

result = {"size": size, "train_rows": len(y), "test_rows": len(yt), "train_pos": float(y.mean()), "test_pos": float(yt.mean())}
start = time.perf_counter()
hgb = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31, learning_rate=0.1, early_stopping=False, random_state=0)
hgb.fit(X, y)
result["hgb_seconds"] = time.perf_counter() - start
p = hgb.predict_proba(Xt)[:, 1]
result["hgb_auc"] = roc_auc_score(yt, p)
result["hgb_log_loss"] = log_loss(yt, p)
start = time.perf_counter()
lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
lr.fit(X, y)
result["lr_seconds"] = time.perf_counter() - start
p = lr.predict_proba(Xt)[:, 1]
result["lr_auc"] = roc_auc_score(yt, p)
result["lr_log_loss"] = log_loss(yt, p)
print(json.dumps(result, indent=2))
