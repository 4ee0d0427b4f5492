export * from './choose-worker.js';
export * from './clients.js';
export * from './deadline-heap.js';
export * from './job.js';
export * from './job-list.js';
export * from './model-queue.js';
export * from './scheduler.js';
export * from './sink.js';
