export * from './dynamic-batch.js';
export * from './float16.js';
export * from './names.js';
export * from './onnx-metadata.js';
export * from './session.js';
export * from './spec.js';
