import { HEADER_LENGTH, Limits, PROTOCOL_VERSION } from './constants.js';
import { ErrorCode, type ProtocolError } from './errors.js';

/** The outcome of decoding: a typed message, or a protocol error (never an exception). */
export type Decoded<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      error: ProtocolError;
      /** the request or job id, when the message was readable far enough to name it (so it can be answered) */
      id?: string;
    };

export function fail<T>(code: ErrorCode, message: string, id?: string): Decoded<T> {
  return id === undefined ? { ok: false, error: { code, message } } : { ok: false, error: { code, message }, id };
}

export function badRequest<T>(message: string, id?: string): Decoded<T> {
  return fail(ErrorCode.BAD_REQUEST, message, id);
}

/**
 * Checks frame 0. Returns undefined when it is this sub-protocol at our version, otherwise the error.
 * A header with the right signature and another version gives UNSUPPORTED_VERSION, so a peer can
 * tell "wrong version" from "not our protocol at all".
 */
export function checkHeader(frame: Buffer | undefined, signature: string): ProtocolError | undefined {
  if (frame === undefined || frame.length !== HEADER_LENGTH || frame.toString('latin1', 0, 4) !== signature) {
    return { code: ErrorCode.BAD_REQUEST, message: `frame 0 is not a ${signature} protocol header` };
  }
  if (frame[4] !== PROTOCOL_VERSION) {
    return {
      code: ErrorCode.UNSUPPORTED_VERSION,
      message: `protocol version ${frame[4]} is not supported (this peer speaks ${PROTOCOL_VERSION})`,
    };
  }
  return undefined;
}

/** Reads a 1..64-byte id frame as a string, or undefined when it is not a valid id. */
export function readId(frame: Buffer | undefined): string | undefined {
  if (frame === undefined || frame.length === 0 || frame.length > Limits.MAX_ID_BYTES) return undefined;
  return frame.toString('utf8');
}

/** Reads a UTF-8 text frame of at most maxBytes. */
export function readText(frame: Buffer | undefined, maxBytes: number): string | undefined {
  if (frame === undefined || frame.length > maxBytes) return undefined;
  return frame.toString('utf8');
}

/** Why an ERROR's code frame was refused (the frame is quoted, shortened, for the log). */
export function errorCodeProblem(code: string): string {
  return `ERROR carries an unknown code ${JSON.stringify(code.slice(0, 32))}`;
}

/** Why an ERROR's message frame was refused. */
export function errorMessageProblem(frame: Buffer): string {
  return `ERROR message is ${frame.length} bytes, over the limit of ${Limits.MAX_ERROR_MESSAGE_BYTES}`;
}

export function idFrame(id: string | Buffer): Buffer {
  return typeof id === 'string' ? Buffer.from(id, 'utf8') : id;
}

/** Truncates a UTF-8 string to at most maxBytes, on a character boundary. */
export function clampUtf8(text: string, maxBytes: number): Buffer {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return buf;
  let end = maxBytes;
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end);
}
