/**
 * Reads an ONNX model's `metadata_props` (ModelProto field 14: repeated StringStringEntryProto
 * {key = 1, value = 2}) straight from the protobuf bytes. onnxruntime-node does not expose custom
 * metadata, and Ultralytics writes what the worker needs there (names, imgsz, end2end, task).
 * Only the top level of ModelProto is walked; the graph (field 7) is skipped by its length.
 */
import { fields } from './protobuf.js';

export type MetadataResult = { ok: true; metadata: Record<string, string> } | { ok: false; message: string };

/** Calls visit(field, start, end) for each length-delimited field in bytes[start, end); skips others. */
function walk(bytes: Uint8Array, start: number, end: number, visit: (field: number, s: number, e: number) => void) {
  for (const f of fields(bytes, start, end)) if (f.wire === 2) visit(f.field, f.valueStart, f.end);
}

const decoder = new TextDecoder('utf-8');

export function readOnnxMetadata(bytes: Uint8Array): MetadataResult {
  const metadata: Record<string, string> = {};
  try {
    walk(bytes, 0, bytes.length, (field, s, e) => {
      if (field !== 14) return;
      let key: string | undefined;
      let value = '';
      walk(bytes, s, e, (f, a, b) => {
        if (f === 1) key = decoder.decode(bytes.subarray(a, b));
        else if (f === 2) value = decoder.decode(bytes.subarray(a, b));
      });
      if (key !== undefined) metadata[key] = value;
    });
  } catch (error) {
    return { ok: false, message: `not a readable ONNX model: ${(error as Error).message}` };
  }
  return { ok: true, metadata };
}
