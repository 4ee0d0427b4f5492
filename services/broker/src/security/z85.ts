/**
 * Z85 (ZeroMQ RFC 32): the text form of CurveZMQ keys (40 characters for 32 bytes). Pure functions;
 * `decodeZ85` returns undefined for text that is not Z85 (never throws).
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

export function decodeZ85(text: string): Buffer | undefined {
  if (text.length % 5 !== 0) return undefined;
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = VALUE.get(text[i + j]!);
      if (digit === undefined) return undefined;
      value = value * 85 + digit;
    }
    if (value > 0xffff_ffff) return undefined;
    out.writeUInt32BE(value, (i / 5) * 4);
  }
  return out;
}

export function encodeZ85(bytes: Buffer): string {
  if (bytes.length % 4 !== 0) throw new RangeError('Z85 encodes a multiple of 4 bytes');
  let text = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = bytes.readUInt32BE(i);
    const chunk: string[] = [];
    for (let j = 0; j < 5; j++) {
      chunk.unshift(ALPHABET[value % 85]!);
      value = Math.floor(value / 85);
    }
    text += chunk.join('');
  }
  return text;
}

/** Whether text is a Z85 CurveZMQ key (40 characters, 32 bytes). */
export function isCurveKey(text: string): boolean {
  return text.length === 40 && decodeZ85(text) !== undefined;
}
