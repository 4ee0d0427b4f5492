export * from './broker.js';
export * from './config.js';
export * from './logger.js';
