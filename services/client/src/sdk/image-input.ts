/** Reads what detect() was given (Buffer, file path or readable stream) into one Buffer, under a size cap. */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DetectionError, ErrorCode } from '@yolomq/protocol';
import { ClientError, ClientErrorCode } from './errors.js';

/** An image: its encoded bytes (JPEG, PNG, WebP, ...), a path to a file holding them, or a stream of them. */
export type ImageInput = Buffer | Uint8Array | string | Readable;

function tooLarge(size: number | string, maxBytes: number): DetectionError {
  return new DetectionError(
    ErrorCode.IMAGE_TOO_LARGE,
    `image is ${size} bytes, over the client's limit of ${maxBytes}`,
  );
}

function checked(bytes: Buffer, maxBytes: number): Buffer {
  if (bytes.length === 0) throw new DetectionError(ErrorCode.INVALID_IMAGE, 'image is empty (0 bytes)');
  if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes);
  return bytes;
}

async function readFileCapped(path: string, maxBytes: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ClientError(ClientErrorCode.IO_ERROR, `cannot read image ${path}: ${reason}`, undefined, { cause: err });
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw tooLarge(size, maxBytes);
    return checked(await handle.readFile(), maxBytes);
  } catch (err) {
    if (err instanceof DetectionError) throw err;
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ClientError(ClientErrorCode.IO_ERROR, `cannot read image ${path}: ${reason}`, undefined, { cause: err });
  } finally {
    await handle.close();
  }
}

async function readStreamCapped(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      total += buf.length;
      if (total > maxBytes) {
        stream.destroy();
        throw tooLarge(`over ${maxBytes}`, maxBytes);
      }
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof DetectionError) throw err;
    throw new ClientError(ClientErrorCode.IO_ERROR, `cannot read image stream: ${String(err)}`, undefined, {
      cause: err,
    });
  }
  return checked(Buffer.concat(chunks, total), maxBytes);
}

function isReadable(value: unknown): value is Readable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Readable).pipe === 'function' &&
    typeof (value as Readable)[Symbol.asyncIterator] === 'function'
  );
}

/** Resolves an ImageInput to bytes. Rejects with DetectionError (empty/too large) or ClientError (I/O). */
export async function readImage(input: ImageInput, maxBytes: number): Promise<Buffer> {
  if (Buffer.isBuffer(input)) return checked(input, maxBytes);
  if (input instanceof Uint8Array)
    return checked(Buffer.from(input.buffer, input.byteOffset, input.byteLength), maxBytes);
  if (typeof input === 'string') return readFileCapped(input, maxBytes);
  if (isReadable(input)) return readStreamCapped(input, maxBytes);
  throw new ClientError(
    ClientErrorCode.INVALID_ARGUMENT,
    'image must be a Buffer, a Uint8Array, a file path or a readable stream',
  );
}
