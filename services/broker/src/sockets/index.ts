export * from './router-endpoint.js';
