"""The script a data engineer would write instead of a Tessera anomaly job (bench/job.bench.ts).

Reads a TS,Device,Tag,Value CSV, windows each (device, tag) series into epoch-aligned 60 s tumbling
windows on event time (count, mean, population std, min, max), scores each series with its ONNX
one-class SVM (ocsvm-<device>-<tag>.onnx, features mean,std,min,max as float32) in onnxruntime, and
writes scores.csv with the job's columns (lineage included).

Usage: job_pandas.py <readings.csv> <ocsvm fixtures dir> <out scores.csv>
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import pandas as pd


def main() -> None:
    readings, fixtures, out = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(os.path.join(fixtures, "manifest.json")) as f:
        manifest = json.load(f)
    df = pd.read_csv(readings, dtype={"Device": str, "Tag": str, "Value": np.float64})
    ts = pd.to_datetime(df["TS"], utc=True, format="ISO8601")
    df["window_start"] = ts.dt.floor("60s")
    grouped = df.groupby(["Device", "Tag", "window_start"], sort=True)["Value"]
    windows = grouped.agg(["count", "mean", "min", "max"])
    windows["std"] = grouped.std(ddof=0)
    windows = windows.reset_index()
    frames = []
    for entry in manifest["models"]:
        series = windows[(windows["Device"] == entry["device"]) & (windows["Tag"] == entry["tag"])].copy()
        session = ort.InferenceSession(os.path.join(fixtures, entry["model"]), providers=["CPUExecutionProvider"])
        features = series[["mean", "std", "min", "max"]].to_numpy(dtype=np.float32)
        scores, labels = session.run(["scores", "label"], {"float_input": features})
        series["score"] = scores[:, 0]
        series["label"] = labels[:, 0]
        series["model"] = f"ocsvm-{entry['device']}-{entry['tag']}@1"
        series["model_sha256"] = entry["sha256"]
        frames.append(series)
    result = pd.concat(frames)
    result["window_end"] = result["window_start"] + pd.Timedelta(seconds=60)
    result["input_blob"] = f"inbox/{os.path.basename(readings)}"
    result = result.rename(columns={"Device": "device", "Tag": "tag"})
    columns = ["device", "tag", "window_start", "window_end", "count", "mean", "std", "min", "max", "score", "label"]
    result[columns + ["model", "model_sha256", "input_blob"]].to_csv(
        out, index=False, date_format="%Y-%m-%dT%H:%M:%SZ"
    )


if __name__ == "__main__":
    main()
