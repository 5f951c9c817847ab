#!/usr/bin/python3
"""Baseline for scripts/bench/drift.ts: pandas + SciPy running the same drift tests on the same data.

Usage: drift_baseline.py <reference.csv> <current.csv> <numeric,cols> <categorical,cols>
Debian's pandas has no Parquet engine (no pyarrow), so it reads the CSV copies the benchmark writes of
the same rows. Prints JSON: read seconds, test seconds, and every statistic.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

ref_path, cur_path, num_cols, cat_cols = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4].split(",")
t0 = time.perf_counter()
ref = pd.read_csv(ref_path)
cur = pd.read_csv(cur_path)
t1 = time.perf_counter()
out = {}
for c in num_cols:
    a = ref[c].to_numpy(dtype=float)
    b = cur[c].to_numpy(dtype=float)
    a = a[np.isfinite(a)]
    b = b[np.isfinite(b)]
    n_values = len(np.union1d(np.unique(a), np.unique(b)))
    if n_values <= 5:  # Evidently: few values -> Jensen-Shannon on value counts
        keys = np.union1d(np.unique(a), np.unique(b))
        pa = np.array([(a == k).sum() for k in keys], dtype=float)
        pb = np.array([(b == k).sum() for k in keys], dtype=float)
        out[c] = {"test": "jensenshannon", "statistic": float(distance.jensenshannon(pa, pb, base=2))}
    else:  # normed Wasserstein, as Evidently
        w = stats.wasserstein_distance(a, b) / max(float(np.std(a)), 0.001)
        out[c] = {"test": "wasserstein", "statistic": float(w), "p_value": float(stats.ks_2samp(a, b).pvalue)}
for c in cat_cols:
    ra = ref[c].dropna().astype(str).value_counts()
    cb = cur[c].dropna().astype(str).value_counts()
    keys = sorted(set(ra.index) | set(cb.index))
    pa = np.array([ra.get(k, 0) for k in keys], dtype=float)
    pb = np.array([cb.get(k, 0) for k in keys], dtype=float)
    out[c] = {"test": "jensenshannon", "statistic": float(distance.jensenshannon(pa, pb, base=2))}
t2 = time.perf_counter()
print(json.dumps({"read_s": t1 - t0, "tests_s": t2 - t1, "features": out}))
