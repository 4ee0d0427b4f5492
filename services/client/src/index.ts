// The public entry of @yolomq/client: the SDK. (The CLI lives in ./cli, image annotation in ./render.)

export type { Box, Detection, DetectionResult, DetectOptions, StageTimings } from '@yolomq/protocol';
export { ErrorCode } from '@yolomq/protocol';
export * from './sdk/index.js';
