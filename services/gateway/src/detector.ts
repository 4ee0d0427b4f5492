import type { YolomqClient } from '@yolomq/client';

/** What the gateway needs of the client SDK (a connected YolomqClient fits; tests may pass a fake). */
export type Detector = Pick<YolomqClient, 'detect' | 'ping' | 'close'>;
