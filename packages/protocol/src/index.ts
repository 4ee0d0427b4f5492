export * from './client-codec.js';
export * from './constants.js';
export * from './curve-keys.js';
export * from './errors.js';
export type { Decoded } from './frames.js';
export * from './options.js';
export * from './result.js';
export * from './result-codec.js';
export * from './worker-codec.js';
