#!/usr/bin/env python3
"""A PyTorch training script that follows Slipway's training contract (docs/train.md).

Slipway runs it in the model directory with:
  SLIPWAY_TRAIN_DATA        training data (CSV here; Parquet needs pandas + pyarrow)
  SLIPWAY_VALIDATION_DATA   validation data, or empty
  SLIPWAY_OUTPUT_DIR        write model.onnx (and optionally metrics.json) here
  SLIPWAY_PARAMS            JSON: {"epochs": 30, "hidden": 16, "lr": 0.01}
  SLIPWAY_SEED              seed for every random number
  SLIPWAY_FEATURES          JSON list of feature columns in order
  SLIPWAY_TARGET            the label column
  SLIPWAY_SCHEMA            the data contract (JSON Schema of one row)

The exported ONNX model follows the per-column convention: one [N, 1] input per feature, named after
its column (float32 for numbers, integers and booleans, string for strings), and one output
`probability` [N, 1] = P(class 1). Torch cannot take string tensors, so the network is exported with
numeric inputs and a small ONNX front end (LabelEncoder + OneHot, unknown categories -> zeros) is
merged in front of it with onnx.compose.

Needs torch, onnx and pandas (pyarrow too for Parquet data) in the runner's python3. The network is
small and trains on the CPU; to train a larger one on the GPU, move the net and the tensors to
"cuda" and set CUBLAS_WORKSPACE_CONFIG=:4096:8 in the job's env, which cuBLAS needs under
torch.use_deterministic_algorithms(True) (else the first matrix product raises a RuntimeError).
"""
import json
import math
import os
import sys

import numpy as np
import onnx
import pandas as pd
import torch
from onnx import TensorProto, helper

env = os.environ
features = json.loads(env["SLIPWAY_FEATURES"])
target = env["SLIPWAY_TARGET"]
params = json.loads(env.get("SLIPWAY_PARAMS") or "{}")
seed = int(env.get("SLIPWAY_SEED") or 0)
out_dir = env["SLIPWAY_OUTPUT_DIR"]
schema = json.load(open(env["SLIPWAY_SCHEMA"]))["properties"]

torch.manual_seed(seed)
np.random.seed(seed)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def kind(col):
    t = schema[col].get("type", "number")
    t = [x for x in (t if isinstance(t, list) else [t]) if x != "null"][0]
    return t


def read(path):
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path)


numeric = [f for f in features if kind(f) != "string"]
categorical = [f for f in features if kind(f) == "string"]
train = read(env["SLIPWAY_TRAIN_DATA"])
categories = {c: schema[c].get("enum") or sorted(train[c].dropna().unique().tolist()) for c in categorical}
print(f"training on {len(train)} rows: {len(numeric)} numeric and {len(categorical)} categorical features", flush=True)


def tensors(df):
    num = torch.tensor(df[numeric].astype("float64").fillna(0.0).to_numpy(), dtype=torch.float32)
    cat = [torch.tensor(pd.Categorical(df[c], categories=categories[c]).codes.astype(np.int64)) for c in categorical]
    hot = torch.cat([torch.nn.functional.one_hot(k.clamp(min=0), len(categories[c])) * (k >= 0).unsqueeze(1) for k, c in zip(cat, categorical)], dim=1).float() if cat else torch.zeros(len(df), 0)
    y = torch.tensor(df[target].astype("float64").to_numpy(), dtype=torch.float32).unsqueeze(1)
    return num, hot, y


class Net(torch.nn.Module):
    def __init__(self, mean, std, width, hidden):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.body = torch.nn.Sequential(torch.nn.Linear(width, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

    def forward(self, num, hot):
        return torch.sigmoid(self.body(torch.cat([(num - self.mean) / self.std, hot], dim=1)))


num, hot, y = tensors(train)
std = num.std(dim=0)
net = Net(num.mean(dim=0), torch.where(std > 0, std, torch.ones_like(std)), num.shape[1] + hot.shape[1], int(params.get("hidden", 16)))
opt = torch.optim.Adam(net.parameters(), lr=float(params.get("lr", 0.01)))
loss_fn = torch.nn.BCELoss()
epochs = int(params.get("epochs", 30))
batch = int(params.get("batch_size", 256))
for epoch in range(epochs):
    order = torch.randperm(len(y))
    total = 0.0
    for i in range(0, len(y), batch):
        idx = order[i:i + batch]
        opt.zero_grad()
        loss = loss_fn(net(num[idx], hot[idx]), y[idx])
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    if epoch % max(1, epochs // 5) == 0 or epoch == epochs - 1:
        print(f"epoch {epoch + 1}/{epochs} loss {total / len(y):.4f}", flush=True)

metrics = {}
if env.get("SLIPWAY_VALIDATION_DATA"):
    vn, vh, vy = tensors(read(env["SLIPWAY_VALIDATION_DATA"]))
    with torch.no_grad():
        metrics["validation_log_loss"] = float(loss_fn(net(vn, vh), vy))
with open(os.path.join(out_dir, "metrics.json"), "w") as f:
    json.dump(metrics, f)

# 1. the network, with numeric inputs [N, P] and one-hot [N, K]
net_path = os.path.join(out_dir, "net.onnx")
net.eval()
torch.onnx.export(net, (num[:2], hot[:2]), net_path, input_names=["num", "hot"], output_names=["probability"],
                  dynamic_axes={"num": {0: "N"}, "hot": {0: "N"}, "probability": {0: "N"}}, opset_version=17)
core = onnx.load(net_path)
os.remove(net_path)

# 2. the front end: raw columns -> num, hot
nodes, inits = [], []
inputs = [helper.make_tensor_value_info(f, TensorProto.STRING if f in categorical else TensorProto.FLOAT, ["N", 1]) for f in features]
nodes.append(helper.make_node("Concat", numeric, ["num_raw"], axis=1))
# a missing value (Slipway feeds null as NaN) becomes 0, as fillna(0.0) made it in training
nodes.append(helper.make_node("IsNaN", ["num_raw"], ["num_missing"]))
nodes.append(helper.make_node("Where", ["num_missing", "num_fill", "num_raw"], ["num"]))
inits.append(helper.make_tensor("num_fill", TensorProto.FLOAT, [], [0.0]))
hots = []
for c in categorical:
    k = len(categories[c])
    nodes.append(helper.make_node("LabelEncoder", [c], [f"{c}_idx"], domain="ai.onnx.ml", keys_strings=categories[c], values_int64s=list(range(k)), default_int64=k))
    inits.append(helper.make_tensor(f"{c}_depth", TensorProto.INT64, [], [k]))
    nodes.append(helper.make_node("OneHot", [f"{c}_idx", f"{c}_depth", "onehot_values"], [f"{c}_3d"], axis=-1))
    nodes.append(helper.make_node("Squeeze", [f"{c}_3d", "axis1"], [f"{c}_hot"]))
    hots.append(f"{c}_hot")
inits.append(helper.make_tensor("onehot_values", TensorProto.FLOAT, [2], [0.0, 1.0]))
inits.append(helper.make_tensor("axis1", TensorProto.INT64, [1], [1]))
if hots:
    nodes.append(helper.make_node("Concat", hots, ["hot"], axis=1))
else:
    nodes.append(helper.make_node("Slice", ["num_raw", "zero", "zero", "axis1"], ["hot"]))
    inits.append(helper.make_tensor("zero", TensorProto.INT64, [1], [0]))
front = helper.make_model(
    helper.make_graph(nodes, "front", inputs, [helper.make_tensor_value_info("num", TensorProto.FLOAT, ["N", len(numeric)]), helper.make_tensor_value_info("hot", TensorProto.FLOAT, ["N", sum(len(v) for v in categories.values())])], inits),
    opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 2)],
)
front.ir_version = core.ir_version
core.opset_import.append(helper.make_opsetid("ai.onnx.ml", 2))
model = onnx.compose.merge_models(front, core, io_map=[("num", "num"), ("hot", "hot")])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out_dir, "model.onnx"))
print(f"wrote {os.path.join(out_dir, 'model.onnx')}", flush=True)
sys.exit(0)
