import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { resolveInside } from '../spec/paths.js';
import { packageFiles } from './digest.js';

/**
 * A minimal POSIX ustar writer and reader for model packages: regular files only, deterministic
 * bytes (sorted names, mtime 0, uid/gid 0), and a reader that refuses links, devices, absolute
 * names and `..` so an archive can never write outside its destination.
 */

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new InputError(`${name}: path too long for a package archive`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** The package directory as a tar archive (in memory: packages are model-sized, not data-sized). */
export async function tarDirectory(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const f of await packageFiles(dir)) {
    const data = await readFile(join(dir, f));
    parts.push(header(f, data.length), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

function field(h: Buffer, start: number, len: number): string {
  const s = h.subarray(start, start + len);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? len : end).toString('utf8');
}

export interface TarEntry {
  /** the posix path inside the package (a leading ./ dropped) */
  name: string;
  data: Buffer;
}

/**
 * The regular files of a tar archive, checked: header checksums, sizes within the archive, names that stay
 * inside (no absolute path, no `..`), no links or devices. An entry named twice, or a file where another
 * entry needs a directory, is refused by name: one archive, one reading of it.
 */
export function tarEntries(archive: Buffer, what = 'archive'): TarEntry[] {
  const entries: TarEntry[] = [];
  // the files listed, and the directories they need
  const files = new Set<string>();
  const dirs = new Set<string>();
  let off = 0;
  while (off + BLOCK <= archive.length) {
    const h = archive.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    const stored = parseInt(field(h, 148, 8).trim() || 'x', 8);
    if (stored !== sum) throw new InputError(`${what}: corrupt tar header at byte ${off}`);
    const sizeText = field(h, 124, 12).trim();
    if (!/^[0-7]+$/.test(sizeText)) throw new InputError(`${what}: corrupt size in tar header at byte ${off}`);
    const size = parseInt(sizeText, 8);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = field(h, 345, 155);
    const name = (prefix ? `${prefix}/` : '') + field(h, 0, 100);
    off += BLOCK;
    if (off + size > archive.length) throw new InputError(`${what}: truncated archive (${name})`);
    if (type === '5') {
      off += Math.ceil(size / BLOCK) * BLOCK;
      continue;
    }
    if (type !== '0') throw new InputError(`${what}: ${name} is not a regular file (tar type '${type}'); packages hold only regular files`);
    const clean = name.replace(/^\.\//, '');
    if (!clean || clean.startsWith('/') || clean.split('/').some((s) => s === '..' || s === '' || s === '.')) {
      throw new InputError(`${what}: refusing unsafe path ${JSON.stringify(name)}`);
    }
    if (files.has(clean)) throw new InputError(`${what}: ${JSON.stringify(clean)} appears twice in the archive; a package names each file once`);
    if (dirs.has(clean)) throw new InputError(`${what}: ${JSON.stringify(clean)} is a file, and also a directory of other entries in the archive`);
    const parts = clean.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (files.has(parent)) throw new InputError(`${what}: ${JSON.stringify(clean)} lies under ${JSON.stringify(parent)}, which is a file in the archive`);
      dirs.add(parent);
    }
    files.add(clean);
    entries.push({ name: clean, data: archive.subarray(off, off + size) });
    off += Math.ceil(size / BLOCK) * BLOCK;
  }
  if (!entries.length) throw new InputError(`${what}: empty archive`);
  return entries;
}

/** Extracts the regular files of a tar archive (tarEntries) into `dest`, which must exist and be empty. */
export async function untar(archive: Buffer, dest: string, what = 'archive'): Promise<string[]> {
  const entries = tarEntries(archive, what);
  for (const { name, data } of entries) {
    const target = resolveInside(dest, dest, name);
    if (!target || target === dest) throw new InputError(`${what}: refusing unsafe path ${JSON.stringify(name)}`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data, { flag: 'wx' });
  }
  return entries.map((e) => e.name);
}
