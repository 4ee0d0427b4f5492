export * from './config.js';
export * from './inference/detector.js';
export * from './logger.js';
export * from './model/index.js';
export * from './worker.js';
export * from './yolo/index.js';
