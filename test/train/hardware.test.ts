import { chmodSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { uploadPackageArtifact } from '../../src/train/artifact.js';
import { describeHardware, detectHardware, parseNvidiaSmi } from '../../src/train/hardware.js';
import { tempDir } from '../support/tmp.js';

const { write } = tempDir('slipway-hw-');

describe('hardware', () => {
  it('parses nvidia-smi CSV (name, memory MiB, driver), one line per GPU', () => {
    expect(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 81559, 550.54.15\nNVIDIA A10G, [N/A], 535.1\n\n')).toEqual([
      { name: 'NVIDIA H100 80GB HBM3', memory_mb: 81559, driver: '550.54.15' },
      { name: 'NVIDIA A10G', memory_mb: null, driver: '535.1' },
    ]);
  });

  it('records GPUs from a real nvidia-smi process, and the CPU without one', async () => {
    const fake = write('bin/nvidia-smi', '#!/bin/sh\n[ "$1" = "--query-gpu=name,memory.total,driver_version" ] || exit 9\necho "NVIDIA L4, 23034, 535.161.08"\n');
    chmodSync(fake, 0o755);
    const h = await detectHardware({ nvidiaSmi: fake });
    expect(h.gpus).toEqual([{ name: 'NVIDIA L4', memory_mb: 23034, driver: '535.161.08' }]);
    expect(h.cpu.cores).toBeGreaterThan(0);
    expect(h.cpu.model.length).toBeGreaterThan(0);
    expect(describeHardware(h)).toMatch(/NVIDIA L4 22 GiB \(driver 535\.161\.08\)/);
    const none = await detectHardware({ nvidiaSmi: '/nonexistent/nvidia-smi' });
    expect(none.gpus).toEqual([]);
    expect(describeHardware(none)).toMatch(/cores; no GPU$/);
  });

  it('an nvidia-smi that fails (a driver/library mismatch) is a notice with its reason, not a silent "no GPU"', async () => {
    const broken = write('bin/broken/nvidia-smi', '#!/bin/sh\necho "Failed to initialize NVML: Driver/library version mismatch"\nexit 18\n');
    chmodSync(broken, 0o755);
    const lines: string[] = [];
    const h = await detectHardware({ nvidiaSmi: broken, notice: (l) => lines.push(l) });
    expect(h.gpus).toEqual([]);
    expect(lines).toEqual(['notice: nvidia-smi failed (Failed to initialize NVML: Driver/library version mismatch); the package records no GPU']);
    // not installed at all: nothing to say
    await detectHardware({ nvidiaSmi: '/nonexistent/nvidia-smi', notice: (l) => lines.push(l) });
    expect(lines.length).toBe(1);
  });

  it('skips the artifact upload with a notice when the runtime token is missing', async () => {
    const lines: string[] = [];
    expect(await uploadPackageArtifact('m-1.0.0', '/nonexistent', { GITHUB_ACTIONS: 'true' }, (l) => lines.push(l))).toEqual({ uploaded: false });
    expect(lines.join('\n')).toMatch(/ACTIONS_RUNTIME_TOKEN is not set .* not uploaded as an artifact/);
    expect(await uploadPackageArtifact('m-1.0.0', '/nonexistent', {}, (l) => lines.push(l))).toEqual({ uploaded: false });
    expect(lines.length).toBe(1);
  });
});
