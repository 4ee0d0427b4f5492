/** Turns the command line's files, directories and globs into a list of image files. */
import { stat } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/** Extensions picked up from directories and globs (an explicitly named file is always taken). */
export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'tif', 'tiff', 'avif'] as const;

export interface InputImage {
  /** absolute path */
  path: string;
  /** the path relative to the inputs' common folder: shown in output, and the annotated file's name */
  name: string;
}

export interface ExpandedInputs {
  images: InputImage[];
  /** arguments that named nothing: "missing.jpg (no such file)" */
  problems: string[];
}

const IMAGE_PATTERN = `**/*.{${IMAGE_EXTENSIONS.join(',')}}`;

function isImageName(path: string): boolean {
  const dot = path.lastIndexOf('.');
  return dot >= 0 && (IMAGE_EXTENSIONS as readonly string[]).includes(path.slice(dot + 1).toLowerCase());
}

function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return '';
  let common = dirname(paths[0]!);
  for (const p of paths) {
    while (common !== dirname(common) && !`${p}`.startsWith(common.endsWith(sep) ? common : common + sep)) {
      common = dirname(common);
    }
  }
  return common;
}

async function kindOf(path: string): Promise<'file' | 'dir' | 'missing'> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

export async function expandInputs(args: readonly string[], cwd = process.cwd()): Promise<ExpandedInputs> {
  const found: string[] = [];
  const problems: string[] = [];
  for (const arg of args) {
    const absolute = resolve(cwd, arg);
    const kind = await kindOf(absolute);
    if (kind === 'file') {
      found.push(absolute);
    } else if (kind === 'dir') {
      const files = await glob(IMAGE_PATTERN, {
        cwd: absolute,
        absolute: true,
        caseSensitiveMatch: false,
        onlyFiles: true,
      });
      if (files.length === 0) problems.push(`${arg} (a folder with no ${IMAGE_EXTENSIONS.join('/')} images)`);
      found.push(...files.sort());
    } else if (isDynamicPattern(arg)) {
      const files = (await glob(arg, { cwd, absolute: true, caseSensitiveMatch: false, onlyFiles: true }))
        .filter(isImageName)
        .sort();
      if (files.length === 0) problems.push(`${arg} (no images match this pattern)`);
      found.push(...files);
    } else {
      problems.push(`${arg} (no such file or folder)`);
    }
  }
  const unique = [...new Set(found.map((f) => resolve(f)))];
  const base = commonFolder(unique);
  return { images: unique.map((path) => ({ path, name: relative(base, path) || path })), problems };
}
