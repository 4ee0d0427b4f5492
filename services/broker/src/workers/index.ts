export * from './registry.js';
export * from './worker.js';
