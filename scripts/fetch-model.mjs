#!/usr/bin/env node
// `make model`: download the default detector, YOLOv8n exported to ONNX, into ./models and verify it.
//
// Where it comes from. Ultralytics publishes the official YOLOv8n weights only as PyTorch files
// (yolov8n.pt; its asset list holds no ONNX files and its maintainers say "we don't have ONNX
// downloads": ultralytics/ultralytics#3086). The ONNX export pinned here is the one OpenCV hosts for its
// own CI, with the SHA-1 that OpenCV publishes for it (opencv/opencv_extra, testdata/dnn/download_models.py,
// model "yolov8n"). Nobody publishes a SHA-256 for it, so the first verified download records one in
// models/yolov8n.onnx.sha256 (commit that file); from then on both digests must match.
//
// Environment:
//   YOLOMQ_MODELS_DIR      where to put it (./models)
//   YOLOMQ_MODEL_URL       download another file instead; then YOLOMQ_MODEL_SHA256 must name its SHA-256,
//                          and YOLOMQ_MODEL_FILE names the file to write (default: the URL's file name)
//   YOLOMQ_MODEL_SHA256    expected SHA-256 (overrides the pin file)
// Exit status: 0 installed or already present and verified; 1 anything else, with a message saying why.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_MODEL = {
  file: 'yolov8n.onnx',
  url: 'https://dl.opencv.org/models/yolov8/yolov8n.onnx',
  /** published by OpenCV for exactly this URL (opencv_extra testdata/dnn/download_models.py, "yolov8n") */
  sha1: '136807b88d0b02bc226bdeb9741141d857752e10',
};

const HEX64 = /^[0-9a-f]{64}$/;

/** The SHA-256 pinned in a sha256sum-style file ("<hex>  <file>" lines, '#' comments), or undefined. */
export function parsePinFile(text, file) {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [hex, name] = line.split(/\s+\*?/);
    if (HEX64.test(hex.toLowerCase()) && (name === undefined || name === file)) return hex.toLowerCase();
  }
  return undefined;
}

/** The pin file's text with the SHA-256 line for `file` set to `sha256` (comments kept). */
export function withPin(text, file, sha256) {
  const kept = text
    .split('\n')
    .filter((line) => line.trim() === '' || line.trim().startsWith('#') || !line.trim().endsWith(file));
  while (kept.length > 0 && kept[kept.length - 1].trim() === '') kept.pop();
  return `${[...kept, `${sha256}  ${file}`].join('\n')}\n`;
}

export function otherModelHelp(modelsDir) {
  return [
    'To use another YOLO ONNX file instead (any Ultralytics-style detector export: YOLOv5, v8, v10, 11):',
    `  copy it into ${modelsDir}, then`,
    '    docker compose: set YOLOMQ_MODEL_FILE=<file name> in .env',
    '    make run / a worker process: set YOLOMQ_MODEL=<path to the file>',
    'To make yolov8n.onnx yourself from the official weights (Python):',
    '    pip install ultralytics && yolo export model=yolov8n.pt format=onnx',
    `    then copy yolov8n.onnx into ${modelsDir}`,
  ].join('\n');
}

async function digests(path) {
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    sha1.update(chunk);
    sha256.update(chunk);
  }
  return { sha1: sha1.digest('hex'), sha256: sha256.digest('hex') };
}

/** Runs a command; resolves with its exit status and stderr (never rejects). */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', (err) => resolve({ status: -1, stderr: err.message }));
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

/** Downloads url to dest. curl when present (it honours proxy settings), else Node's fetch. */
async function download(url, dest) {
  const probe = await run('curl', ['--version']);
  if (probe.status === 0) {
    const args = ['--fail', '--location', '--silent', '--show-error', '--connect-timeout', '15', '--retry', '2'];
    const r = await run('curl', [...args, '-o', dest, url]);
    if (r.status !== 0) {
      const lines = [...new Set(r.stderr.split('\n').filter(Boolean))];
      throw new Error(lines.join('; ') || `curl exited with ${r.status}`);
    }
    return;
  }
  const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  await writeFile(dest, Buffer.from(await res.arrayBuffer()));
}

function checkDigests(actual, expected) {
  const problems = [];
  if (expected.sha256 && actual.sha256 !== expected.sha256)
    problems.push(`SHA-256 is ${actual.sha256}, expected ${expected.sha256}`);
  if (expected.sha1 && actual.sha1 !== expected.sha1)
    problems.push(`SHA-1 is ${actual.sha1}, expected ${expected.sha1}`);
  return problems;
}

export async function fetchModel(env = process.env, log = console.log) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const modelsDir = resolve(root, env.YOLOMQ_MODELS_DIR || 'models');
  const custom = Boolean(env.YOLOMQ_MODEL_URL);
  const url = env.YOLOMQ_MODEL_URL || DEFAULT_MODEL.url;
  // the default download is always yolov8n.onnx; another URL is saved under YOLOMQ_MODEL_FILE or its own name
  const file = custom ? env.YOLOMQ_MODEL_FILE || basename(new URL(url).pathname) : DEFAULT_MODEL.file;
  const target = join(modelsDir, file);
  const pinPath = join(modelsDir, `${DEFAULT_MODEL.file}.sha256`);
  const pinText = custom ? '' : await readFile(pinPath, 'utf8').catch(() => '');
  const pinned = custom ? undefined : parsePinFile(pinText, DEFAULT_MODEL.file);
  const expected = {
    sha256: env.YOLOMQ_MODEL_SHA256?.toLowerCase() || pinned,
    sha1: custom ? undefined : DEFAULT_MODEL.sha1,
  };
  if (expected.sha256 && !HEX64.test(expected.sha256)) {
    log(`model: YOLOMQ_MODEL_SHA256 is not a SHA-256 (64 hex digits): ${env.YOLOMQ_MODEL_SHA256}`);
    return 1;
  }
  if (custom && !expected.sha256) {
    log(`model: YOLOMQ_MODEL_URL is set (${url}) but YOLOMQ_MODEL_SHA256 is not: refusing an unverified download.`);
    return 1;
  }

  if (existsSync(target)) {
    const problems = checkDigests(await digests(target), expected);
    if (problems.length === 0) {
      log(`model: ${target} is present and verified`);
      return 0;
    }
    log(`model: ${target} is present but does not match (${problems.join('; ')}); downloading it again`);
  }

  await mkdir(modelsDir, { recursive: true });
  const partial = `${target}.download`;
  log(`model: downloading ${url}`);
  try {
    await download(url, partial);
  } catch (err) {
    await rm(partial, { force: true });
    log(
      [
        `model: could not download ${url}`,
        `  ${err instanceof Error ? err.message : String(err)}`,
        'This machine looks offline, or the address is blocked or gone.',
        otherModelHelp(modelsDir),
      ].join('\n'),
    );
    return 1;
  }
  const actual = await digests(partial);
  const problems = checkDigests(actual, expected);
  if (problems.length > 0) {
    await rm(partial, { force: true });
    log(`model: checksum mismatch for ${url}: ${problems.join('; ')}. Nothing was installed.`);
    return 1;
  }
  await rename(partial, target);
  log(`model: installed ${target} (SHA-256 ${actual.sha256})`);
  if (!custom && !pinned) {
    await writeFile(pinPath, withPin(pinText, DEFAULT_MODEL.file, actual.sha256));
    log(`model: recorded its SHA-256 in ${pinPath} (verified against the published SHA-1); commit that file`);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await fetchModel();
}
