import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../src/errors.js';
import { resolveCandidate } from '../../src/gitops/publish.js';
import type { ModelCard } from '../../src/package/card.js';
import { writePackage } from '../../src/package/write.js';
import { packageDigest } from '../../src/store/digest.js';
import { FileStore } from '../../src/store/file-store.js';
import { tempDir } from '../support/tmp.js';
import { writeTestPackage } from './package.js';

describe('resolveCandidate reads one package, also while it is being replaced', () => {
  it('the card, the model and the digest it answers are of one package: a package replaced meanwhile is refused, never mixed', async () => {
    // the card was read first and the digest computed after: 'slipway train --out dist/m' replacing the
    // package meanwhile gave version 1.0.0 with 1.1.0's digest, and promote pinned that pair
    const t = tempDir('slipway-candidate-');
    // four versions written in turn: a reader would have to sleep through four writes to see one come back
    const versions = ['1.0.0', '1.1.0', '1.2.0', '1.3.0'].map((v) => {
      const src = writeTestPackage(join(t.dir, `src-${v}`), 'm', v);
      const model = readFileSync(join(src, 'model.onnx'));
      return { v, src, model, card: JSON.parse(readFileSync(join(src, 'slipway.json'), 'utf8')) as ModelCard };
    });
    const dest = join(t.dir, 'dist', 'm');
    const digestOf = new Map<string, string>();
    for (const x of versions) {
      await writePackage(dest, { bytes: x.model }, x.card);
      digestOf.set(await packageDigest(dest), x.v);
    }
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const x = versions[i % versions.length];
        await writePackage(dest, { bytes: x.model }, x.card);
      }
    })();
    const source = new FileStore(join(t.dir, 'store'));
    let mixed = 0;
    let refused = 0;
    let consistent = 0;
    try {
      for (let i = 0; i < 600; i++) {
        try {
          const c = await resolveCandidate(dest, 'm', { source, repoRoot: t.dir, cwd: t.dir });
          if (digestOf.get(c.digest) === c.card.version) consistent++;
          else mixed++;
        } catch (e) {
          if (!(e instanceof IntegrityError) || !/changed while it was read/.test((e as Error).message)) {
            // the package directory being swapped under readPackage reads as missing: also a refusal
            if (!/not a model package|no such package|ENOENT|File doesn't exist/.test((e as Error).message)) throw e;
          }
          refused++;
        }
      }
    } finally {
      stop = true;
      await writer;
    }
    expect({ mixed }).toEqual({ mixed: 0 });
    expect(consistent + refused).toBe(600);
    expect(consistent).toBeGreaterThan(0);
  });
});
