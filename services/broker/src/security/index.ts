export * from './allow-list.js';
export * from './curve-config.js';
export * from './z85.js';
export * from './zap.js';
