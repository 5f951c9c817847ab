/** The median of the benchmarks' repeated measurements: the upper middle one for an even count. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
