#!/usr/bin/python3
"""The data contract checked with pandas: the baseline of scripts/bench/validate.ts and the reference
implementation behind test/fixtures/validate/golden.json.

Same semantics as `slipway validate` (docs/validate.md): an empty field is null (absent); a CSV value is a
number when it parses to a finite float (NaN, Infinity and thousands separators do not), an integer when
it is a number with no fraction, a boolean when it is true/false in any case; every value is a string.

Usage: validate_pandas.py [--fast] <schema.json> <data.csv>
  → prints {"rows", "counts": {"column/rule": n}, "first_rows": {"column/rule": [1-based rows]}, "seconds"}
--fast lets pandas infer column types while reading (its fastest read); values in a numeric column that
are not numbers then make that column text, which the checks handle the same way. Without it every
column is read as text (exact for any input).
"""
import json
import sys
import time

import numpy as np
import pandas as pd


def declared(s):
    t = s.get("type")
    if t is None:
        return []
    return t if isinstance(t, list) else [t]


def check(schema, path, fast=False):
    props = schema["properties"]
    exp = schema.get("x-slipway", {})
    required = set(schema.get("required", []))
    if fast:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""], encoding="utf-8")
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    rows = len(df)
    counts = {}
    first = {}

    def put(col, rule, n):
        if isinstance(n, pd.Series):
            mask = n.fillna(False).astype(bool)
            total = int(mask.sum())
            if total:
                first[f"{col}/{rule}"] = [int(i) + 1 for i in np.flatnonzero(mask.to_numpy())[:5]]
            n = total
        if n:
            counts[f"{col}/{rule}"] = int(n)

    for col in df.columns:
        if col not in props:
            put(col, "unknown_column", rows)
    for col, s in props.items():
        if col not in df.columns:
            if col in required:
                put(col, "required", rows)
            continue
        raw = df[col]
        null = raw.isna()
        if fast and pd.api.types.is_bool_dtype(raw):
            raw = raw.map({True: "true", False: "false"})
        elif fast and pd.api.types.is_numeric_dtype(raw):
            # pandas already parsed the column as numbers: keep them as floats (no text to re-parse)
            raw = raw.astype(float)
        types = [t for t in declared(s) if t != "null"]
        nullable = not declared(s) or "null" in declared(s) or None in s.get("enum", [])
        if col in required and not nullable:
            put(col, "required", null)
        numeric = "number" in types or "integer" in types
        boolean = "boolean" in types
        is_text = raw.dtype == object
        if not is_text:
            num = raw.where(np.isfinite(raw)) if numeric else pd.Series(np.nan, index=raw.index)
            boo = pd.Series(None, index=raw.index, dtype=object)
            text = pd.Series(None, index=raw.index, dtype=object) if numeric else raw.astype(str).where(~null)
        else:
            num = pd.to_numeric(raw, errors="coerce") if numeric else pd.Series(np.nan, index=raw.index)
            num = num.where(np.isfinite(num))
            if boolean:
                boo = raw.str.strip().str.lower().map({"true": True, "false": False}).where(num.isna())
            else:
                boo = pd.Series(None, index=raw.index, dtype=object)
            text = raw.where(num.isna() & boo.isna())
        if types:
            ok = pd.Series(False, index=raw.index)
            for t in types:
                if t == "number":
                    ok |= num.notna()
                elif t == "integer":
                    ok |= num.notna() & (num == np.trunc(num))
                elif t == "boolean":
                    ok |= boo.notna()
                elif t == "string":
                    ok |= text.notna()
            put(col, "type", ~null & ~ok)
        if "minimum" in s:
            put(col, "minimum", num < s["minimum"])
        if "maximum" in s:
            put(col, "maximum", num > s["maximum"])
        if "exclusiveMinimum" in s:
            put(col, "exclusiveMinimum", num <= s["exclusiveMinimum"])
        if "exclusiveMaximum" in s:
            put(col, "exclusiveMaximum", num >= s["exclusiveMaximum"])
        if "enum" in s:
            e = s["enum"]
            nums = [v for v in e if isinstance(v, (int, float)) and not isinstance(v, bool)]
            strs = [v for v in e if isinstance(v, str)]
            bools = [v for v in e if isinstance(v, bool)]
            ok = num.isin(nums) | text.isin(strs) | boo.isin(bools)
            put(col, "enum", ~null & ~ok)
        if "pattern" in s:
            put(col, "pattern", text.notna() & ~text.fillna("").str.contains(s["pattern"], regex=True))
        if "minLength" in s:
            put(col, "minLength", text.str.len() < s["minLength"])
        if "maxLength" in s:
            put(col, "maxLength", text.str.len() > s["maxLength"])
        if s.get("format") == "date":
            parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
            good = text.fillna("").str.fullmatch(r"\d{4}-\d{2}-\d{2}") & parsed.notna()
            put(col, "format", text.notna() & ~good)
        if s.get("format") == "date-time":
            rx = r"\d{4}-\d{2}-\d{2}[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):?[0-5]\d)"
            parsed = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
            good = text.fillna("").str.fullmatch(rx) & parsed.notna()
            put(col, "format", text.notna() & ~good)
        limit = exp.get("max_null_fraction")
        if isinstance(limit, dict):
            limit = limit.get(col)
        if limit is not None and rows and null.sum() / rows > limit:
            put(col, "max_null_fraction", null)
        if col in exp.get("unique", []):
            put(col, "unique", raw.duplicated(keep=False) & ~null)
    r = exp.get("rows", {})
    if ("min" in r and rows < r["min"]) or ("max" in r and rows > r["max"]):
        counts["(dataset)/rows"] = rows
    return rows, counts, first


if __name__ == "__main__":
    args = sys.argv[1:]
    fast = "--fast" in args
    args = [a for a in args if a != "--fast"]
    t0 = time.perf_counter()
    with open(args[0]) as f:
        schema = json.load(f)
    rows, counts, first = check(schema, args[1], fast)
    print(json.dumps({"rows": rows, "counts": counts, "first_rows": first, "seconds": time.perf_counter() - t0}, sort_keys=True))
