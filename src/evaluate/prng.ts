/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32) for the bootstrap. Same seed, same
 * stream, on every platform: the confidence intervals in a report are reproducible.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `stream` selects an independent stream for the same seed (one per bootstrap replicate). */
  constructor(seed: number, stream = 0) {
    let s = (seed >>> 0) ^ Math.imul(stream, 0x2c1b3c6d);
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    // mix in the high part of seeds above 2^32 so that they do not collide with small ones
    s = (s ^ Math.floor(seed / 4294967296) ^ Math.floor(stream / 4294967296)) >>> 0;
    if (stream !== 0) for (let i = 0; i < 4; i++) s = (s ^ next()) >>> 0; // decorrelate neighbouring streams
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** a uniform 32-bit unsigned integer */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** a uniform double in [0, 1) with 53 random bits */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * A uniform integer in [0, n). Up to 2^21 it takes one 32-bit draw (Lemire's multiply-and-reject:
   * exactly uniform, and u·n is exact in a double); above, a 53-bit double.
   */
  nextInt(n: number): number {
    if (n <= 2097152) {
      let u = this.nextUint32();
      let low = Math.imul(u, n) >>> 0; // the low 32 bits of u·n
      if (low < n) {
        const t = (4294967296 - n) % n;
        while (low < t) {
          u = this.nextUint32();
          low = Math.imul(u, n) >>> 0;
        }
      }
      return Math.floor((u * n) / 4294967296); // exact: u·n < 2^53
    }
    return Math.floor(this.nextDouble() * n);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
