/**
 * The few protobuf primitives the ONNX readers and the batch rewriter need, on raw bytes: the fields
 * of a message with their positions (so a field can be copied, skipped or replaced as bytes), and
 * length-delimited fields written back with their new lengths.
 */

export interface Field {
  field: number;
  wire: number;
  /** where the field's tag starts */
  start: number;
  /** where its value starts (after the length, for length-delimited fields) */
  valueStart: number;
  end: number;
  /** the value of a varint field */
  value: number;
}

export function readVarint(bytes: Uint8Array, pos: number, end: number): { value: number; pos: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Error('truncated varint');
    const byte = bytes[pos++]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return { value, pos };
    scale *= 128;
  }
  throw new Error('varint too long');
}

/** The fields of the message in bytes[start, end), in order. Throws on bytes that are not protobuf. */
export function fields(bytes: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const tagStart = pos;
    const tag = readVarint(bytes, pos, end);
    pos = tag.pos;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value & 7;
    let valueStart = pos;
    let value = 0;
    if (wire === 0) {
      const v = readVarint(bytes, pos, end);
      value = v.value;
      pos = v.pos;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = readVarint(bytes, pos, end);
      valueStart = length.pos;
      pos = length.pos + length.value;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (pos > end) throw new Error('field runs past the end of its message');
    out.push({ field, wire, start: tagStart, valueStart, end: pos, value });
  }
  return out;
}

export function encodeVarint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** A length-delimited field: tag, length, content. */
export function lengthDelimited(field: number, content: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([...encodeVarint(field * 8 + 2), ...encodeVarint(content.length)]), content]);
}
