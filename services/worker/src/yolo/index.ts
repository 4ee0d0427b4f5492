export * from './candidates.js';
export * from './coco.js';
export * from './decoders.js';
export * from './layout.js';
export * from './letterbox.js';
export * from './nms.js';
export * from './params.js';
export * from './postprocess.js';
