/** Rebuilds the golden datasets that make_golden.py stores as recipes (bit for bit the same values). */
export interface SampleSpec {
  kind: 'normal' | 'int';
  seed: number;
  n: number;
  shift?: number;
  k?: number;
}

export function xorshiftUniforms(seed: number, n: number): Float64Array {
  let x = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = (x + 0.5) / 4294967296;
  }
  return out;
}

export function gen(spec: SampleSpec): Float64Array {
  if (spec.kind === 'normal') {
    const u = xorshiftUniforms(spec.seed, spec.n * 12);
    const z = new Float64Array(spec.n);
    for (let i = 0; i < spec.n; i++) {
      let s = 0;
      for (let j = 0; j < 12; j++) s += u[i * 12 + j];
      z[i] = s - 6 + (spec.shift ?? 0);
    }
    return z;
  }
  const u = xorshiftUniforms(spec.seed, spec.n);
  return u.map((v) => Math.floor(v * (spec.k ?? 1)));
}

export function values(x: number[] | { spec: SampleSpec }): Float64Array {
  return Array.isArray(x) ? Float64Array.from(x) : gen(x.spec);
}
