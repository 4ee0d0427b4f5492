/**
 * Reads an ONNX model's `metadata_props` (ModelProto field 14: repeated StringStringEntryProto
 * {key = 1, value = 2}) straight from the protobuf bytes. onnxruntime-node does not expose custom
 * metadata, and Ultralytics writes what the worker needs there (names, imgsz, end2end, task).
 * Only the top level of ModelProto is walked; the graph (field 7) is skipped by its length.
 */

export type MetadataResult = { ok: true; metadata: Record<string, string> } | { ok: false; message: string };

class Reader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end: number,
  ) {}

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const byte = this.bytes[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('varint too long');
  }
}

/** Calls visit(field, start, end) for each length-delimited field in bytes[start, end); skips others. */
function walk(bytes: Uint8Array, start: number, end: number, visit: (field: number, s: number, e: number) => void) {
  const r = new Reader(bytes, end);
  r.pos = start;
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) r.varint();
    else if (wire === 1) r.pos += 8;
    else if (wire === 5) r.pos += 4;
    else if (wire === 2) {
      const length = r.varint();
      const s = r.pos;
      const e = s + length;
      if (e > end) throw new Error('field runs past the end of its message');
      visit(field, s, e);
      r.pos = e;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (r.pos > end) throw new Error('field runs past the end of its message');
  }
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
