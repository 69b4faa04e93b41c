"""scikit-learn baseline for bench/anomalyEngine.ts.

scikit-learn cannot load ONNX, so each series' Pipeline(StandardScaler, OneClassSVM(rbf, gamma='scale',
nu)) is fitted again on the windows before manifest.train_until (as the fixtures were made), checked
against scores.csv, then decision_function is timed on the same tiled rows the engine scores.

Usage: sklearn_decision.py <ocsvm fixtures dir> <rows per model> <rounds>
Prints one JSON object: rows, best_seconds, windows_per_second, max_abs_err_vs_scores_csv.
"""
import csv
import json
import os
import sys
import time

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

FEATURES = ["mean", "std", "min", "max"]


def main() -> None:
    fixtures, rows_per_model, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(os.path.join(fixtures, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(fixtures, "windows.csv")) as f:
        windows = list(csv.DictReader(f))
    with open(os.path.join(fixtures, "scores.csv")) as f:
        oracle = {(r["device"], r["tag"], r["window_start"]): float(r["decision"]) for r in csv.DictReader(f)}
    train_until = manifest["train_until"]

    work = []
    max_err = 0.0
    for entry in manifest["models"]:
        series = [w for w in windows if w["device"] == entry["device"] and w["tag"] == entry["tag"]]
        x = np.array([[float(w[k]) for k in FEATURES] for w in series], dtype=np.float64)
        train = np.array([w["window_start"] < train_until for w in series])
        model = Pipeline([("scaler", StandardScaler()), ("svm", OneClassSVM(kernel="rbf", gamma="scale", nu=manifest["nu"]))])
        model.fit(x[train])
        expected = np.array([oracle[(w["device"], w["tag"], w["window_start"])] for w in series])
        max_err = max(max_err, float(np.max(np.abs(model.decision_function(x) - expected))))
        tiled = np.resize(x, (rows_per_model, x.shape[1]))
        work.append((model, tiled))

    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for model, tiled in work:
            model.decision_function(tiled)
        best = min(best, time.perf_counter() - start)
    rows = rows_per_model * len(work)
    print(json.dumps({"rows": rows, "best_seconds": best, "windows_per_second": rows / best, "max_abs_err_vs_scores_csv": max_err}))


if __name__ == "__main__":
    main()
