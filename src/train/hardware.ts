import { execFile } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import type { GpuInfo, Hardware } from '../package/card.js';

/** Parses `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(text: string): GpuInfo[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [name, mem, driver] = l.split(',').map((s) => s.trim());
      const memory = Number(mem);
      return { name: name ?? '', memory_mb: Number.isFinite(memory) && mem !== '' ? memory : null, driver: driver || null };
    })
    .filter((g) => g.name);
}

/** nvidia-smi's GPU list; null without GPUs to report: not installed (silently), or failing (then `notice` says why). */
function nvidiaSmi(bin: string, notice?: (line: string) => void): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(bin, ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        // e.g. "Failed to initialize NVML: Driver/library version mismatch" after a driver update without a reboot
        const why = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).find(Boolean) ?? (err.killed ? 'it did not answer within 10 s' : err.message);
        notice?.(`notice: nvidia-smi failed (${why}); the package records no GPU`);
      }
      resolve(null);
    });
  });
}

/** The machine training ran on: GPUs from nvidia-smi when it is present, the CPU model and cores always. */
export async function detectHardware(options: { nvidiaSmi?: string; notice?: (line: string) => void } = {}): Promise<Hardware> {
  const info = cpus();
  const out = await nvidiaSmi(options.nvidiaSmi ?? 'nvidia-smi', options.notice);
  return {
    cpu: { model: info[0]?.model?.trim() || 'unknown', cores: typeof availableParallelism === 'function' ? availableParallelism() : info.length },
    gpus: out ? parseNvidiaSmi(out) : [],
  };
}

export function describeHardware(h: Hardware): string {
  const gpus = h.gpus.length ? h.gpus.map((g) => `${g.name}${g.memory_mb ? ` ${Math.round(g.memory_mb / 1024)} GiB` : ''}${g.driver ? ` (driver ${g.driver})` : ''}`).join(', ') : 'no GPU';
  return `${h.cpu.model}, ${h.cpu.cores} cores; ${gpus}`;
}
