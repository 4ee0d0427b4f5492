export type { ClientStats, DetectResult } from './client.js';
export { YolomqClient } from './client.js';
export { connect } from './connect.js';
export * from './errors.js';
export type { ImageInput } from './image-input.js';
export type { ClientOptions, CurveKeys, DetectRequestOptions, SdkLogger } from './options.js';
