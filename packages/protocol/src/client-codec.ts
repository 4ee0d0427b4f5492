/**
 * The client sub-protocol (client DEALER <-> broker ROUTER). Frames are listed without the routing
 * id that the broker's ROUTER socket adds and removes. See SPEC.md, section 5 "Client sub-protocol".
 */
import { CLIENT_HEADER, CLIENT_SIGNATURE, ClientCommand, COMMAND_FRAMES, Limits } from './constants.js';
import { ErrorCode, isErrorCode } from './errors.js';
import {
  badRequest,
  checkHeader,
  clampUtf8,
  type Decoded,
  errorCodeProblem,
  errorMessageProblem,
  fail,
  idFrame,
  readId,
  readText,
} from './frames.js';
import { type DetectOptions, encodeOptions, parseOptions } from './options.js';

export interface ClientRequest {
  command: 'REQUEST';
  requestId: string;
  /** the request id frame as received, for echoing without re-encoding */
  requestIdFrame: Buffer;
  /** requested model; '' means the broker's default model */
  model: string;
  options: DetectOptions;
  /** the OPTIONS frame as received, forwarded to the worker untouched */
  optionsFrame: Buffer;
  /** the encoded image (JPEG, PNG, WebP, ...) exactly as the client sent it */
  image: Buffer;
}

export interface ClientPing {
  command: 'PING';
  token: Buffer;
}

export type ClientToBroker = ClientRequest | ClientPing;

export interface BrokerReply {
  command: 'REPLY';
  requestId: string;
  /** the result JSON (see result.ts) */
  result: Buffer;
}

export interface BrokerError {
  command: 'ERROR';
  requestId: string;
  code: ErrorCode;
  message: string;
}

export interface BrokerPong {
  command: 'PONG';
  token: Buffer;
}

export type BrokerToClient = BrokerReply | BrokerError | BrokerPong;

export interface ClientDecodeLimits {
  maxImageBytes: number;
}

const DEFAULT_LIMITS: ClientDecodeLimits = { maxImageBytes: Limits.DEFAULT_MAX_IMAGE_BYTES };
const MAX_TOKEN_BYTES = 64;

// ---- encoders --------------------------------------------------------------------------------

export function encodeRequest(requestId: string, model: string, options: DetectOptions | undefined, image: Buffer) {
  return [
    CLIENT_HEADER,
    COMMAND_FRAMES[ClientCommand.REQUEST]!,
    idFrame(requestId),
    Buffer.from(model, 'utf8'),
    encodeOptions(options),
    image,
  ];
}

export function encodePing(token: Buffer): Buffer[] {
  return [CLIENT_HEADER, COMMAND_FRAMES[ClientCommand.PING]!, token];
}

export function encodePong(token: Buffer): Buffer[] {
  return [CLIENT_HEADER, COMMAND_FRAMES[ClientCommand.PONG]!, token];
}

export function encodeReply(requestId: string | Buffer, result: Buffer): Buffer[] {
  return [CLIENT_HEADER, COMMAND_FRAMES[ClientCommand.REPLY]!, idFrame(requestId), result];
}

export function encodeError(requestId: string | Buffer, code: ErrorCode, message: string): Buffer[] {
  return [
    CLIENT_HEADER,
    COMMAND_FRAMES[ClientCommand.ERROR]!,
    idFrame(requestId),
    Buffer.from(code, 'latin1'),
    clampUtf8(message, Limits.MAX_ERROR_MESSAGE_BYTES),
  ];
}

// ---- decoders --------------------------------------------------------------------------------

/** Decodes what a client sent to the broker (routing id already removed). Never throws. */
export function decodeClientMessage(
  frames: readonly Buffer[],
  limits: ClientDecodeLimits = DEFAULT_LIMITS,
): Decoded<ClientToBroker> {
  const headerError = checkHeader(frames[0], CLIENT_SIGNATURE);
  const command = frames[1];
  if (headerError) {
    // Name the request when it is ours at another version, so that client gets its answer. A frame 0
    // that is not a YMQC header at all says nothing about frame 2, so it is never named (the broker drops it).
    const answerable =
      headerError.code === ErrorCode.UNSUPPORTED_VERSION &&
      command?.length === 1 &&
      command[0] === ClientCommand.REQUEST;
    return fail(headerError.code, headerError.message, answerable ? readId(frames[2]) : undefined);
  }
  if (command === undefined || command.length !== 1) return badRequest('frame 1 must be a one-byte command');
  switch (command[0]) {
    case ClientCommand.REQUEST: {
      const requestId = readId(frames[2]);
      if (requestId === undefined) return badRequest(`request id must be 1..${Limits.MAX_ID_BYTES} bytes`);
      if (frames.length !== 6) return badRequest(`REQUEST has ${frames.length} frames, expected 6`, requestId);
      const modelFrame = frames[3]!;
      const model = readText(modelFrame, Limits.MAX_MODEL_NAME_BYTES);
      if (model === undefined) {
        return badRequest(`model name is over ${Limits.MAX_MODEL_NAME_BYTES} bytes`, requestId);
      }
      const optionsFrame = frames[4]!;
      const options = parseOptions(optionsFrame);
      if (!options.ok) return { ok: false, error: options.error, id: requestId };
      const image = frames[5]!;
      if (image.length === 0) return fail(ErrorCode.INVALID_IMAGE, 'image frame is empty', requestId);
      if (image.length > limits.maxImageBytes) {
        return fail(
          ErrorCode.IMAGE_TOO_LARGE,
          `image is ${image.length} bytes, over the limit of ${limits.maxImageBytes}`,
          requestId,
        );
      }
      return {
        ok: true,
        value: {
          command: 'REQUEST',
          requestId,
          requestIdFrame: frames[2]!,
          model,
          options: options.value,
          optionsFrame,
          image,
        },
      };
    }
    case ClientCommand.PING: {
      const token = frames[2];
      if (frames.length !== 3 || token === undefined || token.length > MAX_TOKEN_BYTES) {
        return badRequest(`PING must carry one token frame of at most ${MAX_TOKEN_BYTES} bytes`);
      }
      return { ok: true, value: { command: 'PING', token } };
    }
    default:
      return badRequest(`unknown client command 0x${command[0]!.toString(16).padStart(2, '0')}`);
  }
}

/** Decodes what the broker sent to a client. Never throws. */
export function decodeBrokerToClient(frames: readonly Buffer[]): Decoded<BrokerToClient> {
  const headerError = checkHeader(frames[0], CLIENT_SIGNATURE);
  if (headerError) return fail(headerError.code, headerError.message);
  const command = frames[1];
  if (command === undefined || command.length !== 1) return badRequest('frame 1 must be a one-byte command');
  switch (command[0]) {
    case ClientCommand.REPLY: {
      const requestId = readId(frames[2]);
      if (requestId === undefined) return badRequest(`REPLY request id must be 1..${Limits.MAX_ID_BYTES} bytes`);
      if (frames.length !== 4) return badRequest(`REPLY has ${frames.length} frames, expected 4`, requestId);
      return { ok: true, value: { command: 'REPLY', requestId, result: frames[3]! } };
    }
    case ClientCommand.ERROR: {
      const requestId = readId(frames[2]);
      if (requestId === undefined) return badRequest(`ERROR request id must be 1..${Limits.MAX_ID_BYTES} bytes`);
      if (frames.length !== 5) return badRequest(`ERROR has ${frames.length} frames, expected 5`, requestId);
      const code = frames[3]!.toString('latin1');
      if (!isErrorCode(code)) return badRequest(errorCodeProblem(code), requestId);
      const message = readText(frames[4], Limits.MAX_ERROR_MESSAGE_BYTES);
      if (message === undefined) return badRequest(errorMessageProblem(frames[4]!), requestId);
      return { ok: true, value: { command: 'ERROR', requestId, code, message } };
    }
    case ClientCommand.PONG: {
      const token = frames[2];
      if (frames.length !== 3 || token === undefined) return badRequest('PONG must carry one token frame');
      return { ok: true, value: { command: 'PONG', token } };
    }
    default:
      return badRequest(`unknown broker-to-client command 0x${command[0]!.toString(16).padStart(2, '0')}`);
  }
}
