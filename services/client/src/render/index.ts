export * from './annotate.js';
export * from './layout.js';
export { classColor, PALETTE } from './palette.js';
export { annotationSvg } from './svg.js';
