/**
 * Class names: parsing what Ultralytics writes in the ONNX metadata (`names` is a Python dict repr,
 * `{0: 'person', 1: 'bicycle', ...}`; JSON is accepted too), reading a names file, and choosing
 * between the sources. Pure apart from nothing: the caller reads the file.
 */
import { COCO80 } from '../yolo/coco.js';

export type NamesResult = { ok: true; names: string[] } | { ok: false; message: string };

/** Parses `{0: 'a', 1: "b"}` (Python repr), a JSON object of id -> name, or a JSON/Python list. */
export function parseNamesLiteral(text: string): NamesResult {
  const p = new LiteralParser(text);
  try {
    p.skip();
    const open = p.peek();
    const byId = new Map<number, string>();
    if (open === '{') {
      p.expect('{');
      p.skip();
      while (p.peek() !== '}') {
        const key = p.key();
        p.skip();
        p.expect(':');
        p.skip();
        byId.set(key, p.string());
        p.skip();
        if (p.peek() === ',') {
          p.expect(',');
          p.skip();
        } else if (p.peek() !== '}') throw new Error(`expected , or } at ${p.pos}`);
      }
      p.expect('}');
    } else if (open === '[') {
      p.expect('[');
      p.skip();
      let i = 0;
      while (p.peek() !== ']') {
        byId.set(i++, p.string());
        p.skip();
        if (p.peek() === ',') {
          p.expect(',');
          p.skip();
        } else if (p.peek() !== ']') throw new Error(`expected , or ] at ${p.pos}`);
      }
      p.expect(']');
    } else throw new Error('expected { or [');
    p.skip();
    if (!p.done()) throw new Error(`unexpected text at ${p.pos}`);
    const names: string[] = [];
    for (let i = 0; i < byId.size; i++) {
      const name = byId.get(i);
      if (name === undefined) throw new Error(`class ids are not 0..${byId.size - 1}`);
      names.push(name);
    }
    return { ok: true, names };
  } catch (error) {
    return { ok: false, message: `cannot read class names: ${(error as Error).message}` };
  }
}

/** A names file: a JSON or Python literal (object or list), else one name per line (blank lines ignored). */
export function parseNamesFile(text: string): NamesResult {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseNamesLiteral(trimmed);
  const names = trimmed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (names.length === 0) return { ok: false, message: 'the names file lists no class names' };
  return { ok: true, names };
}

export type NamesSource = 'metadata' | 'file' | 'coco80' | 'generated';

/**
 * The names to serve for `classCount` classes: metadata, else the names file, else COCO-80 when
 * there are 80 classes, else class_<id>. A list shorter than the class count is completed with
 * class_<id>. classCount undefined (an end-to-end model without metadata) takes the list as it is.
 */
export function chooseClassNames(
  classCount: number | undefined,
  fromMetadata: string[] | undefined,
  fromFile: string[] | undefined,
): { names: string[]; source: NamesSource } {
  const pick = (): { names: readonly string[]; source: NamesSource } => {
    if (fromMetadata !== undefined) return { names: fromMetadata, source: 'metadata' };
    if (fromFile !== undefined) return { names: fromFile, source: 'file' };
    if (classCount === 80 || classCount === undefined) return { names: COCO80, source: 'coco80' };
    return { names: [], source: 'generated' };
  };
  const { names, source } = pick();
  const count = classCount ?? names.length;
  const out = Array.from({ length: count }, (_, i) => names[i] ?? `class_${i}`);
  return { names: out, source };
}

class LiteralParser {
  pos = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  skip(): void {
    while (/\s/.test(this.peek())) this.pos++;
  }

  expect(ch: string): void {
    if (this.text[this.pos] !== ch) throw new Error(`expected ${ch} at ${this.pos}`);
    this.pos++;
  }

  key(): number {
    const ch = this.peek();
    const raw = ch === '"' || ch === "'" ? this.string() : this.number();
    const id = Number(raw);
    if (!Number.isInteger(id) || id < 0) throw new Error(`class id ${JSON.stringify(raw)} is not a whole number`);
    return id;
  }

  private number(): string {
    const start = this.pos;
    while (/[0-9]/.test(this.peek())) this.pos++;
    if (start === this.pos) throw new Error(`expected a class id at ${start}`);
    return this.text.slice(start, this.pos);
  }

  string(): string {
    const quote = this.peek();
    if (quote !== '"' && quote !== "'") throw new Error(`expected a quoted name at ${this.pos}`);
    this.pos++;
    let out = '';
    for (;;) {
      if (this.done()) throw new Error('unterminated string');
      const ch = this.text[this.pos++]!;
      if (ch === quote) return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const esc = this.text[this.pos++] ?? '';
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '/': '/' };
      if (esc in simple) out += simple[esc];
      else if (esc === 'x' || esc === 'u' || esc === 'U') {
        const len = esc === 'x' ? 2 : esc === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new Error(`bad \\${esc} escape`);
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.pos += len;
      } else throw new Error(`unsupported escape \\${esc}`);
    }
  }
}
