export type { GatewayConfig } from './config.js';
export { parseGatewayConfig } from './config.js';
export type { ErrorBody, HttpErrorCode } from './errors-http.js';
export { GatewayErrorCode, HTTP_STATUS_BY_CLIENT_CODE, HTTP_STATUS_BY_CODE, httpStatusOf } from './errors-http.js';
export type { GatewayHandle } from './gateway.js';
export { startGateway } from './gateway.js';
export { openApiDocument } from './openapi.js';
