/** Test helper: HTTP requests written by hand on a socket, to see what a server does mid-upload. */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** body bytes the client had written when the response's status line arrived */
  bodyBytesSentBeforeResponse: number;
}

/**
 * Sends `head` (request line and headers, without the blank line), then body chunks one at a time
 * while no response has arrived, up to `maxBodyBytes`; stops writing as soon as the server answers.
 * Chunks are sent in chunked encoding when `chunked` is set.
 */
export function rawUpload(
  port: number,
  head: string,
  chunk: Buffer,
  options: { maxBodyBytes: number; chunked?: boolean },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let sent = 0;
    let sentAtResponse = -1;
    let stopped = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response after 20 s; got: ${received.toString('latin1').slice(0, 300)}`));
    }, 20_000);

    const finish = () => {
      clearTimeout(timer);
      const text = received.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) {
        reject(new Error(`no response head; got ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? Number.NaN);
      const rawBody = received.subarray(Buffer.byteLength(text.slice(0, split + 4), 'latin1'));
      resolve({
        status: Number(statusLine!.split(' ')[1]),
        headers,
        body: (Number.isFinite(length) ? rawBody.subarray(0, length) : rawBody).toString('utf8'),
        bodyBytesSentBeforeResponse: sentAtResponse,
      });
    };

    const complete = () => {
      const text = received.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return false;
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, split));
      return match !== null && received.length - (split + 4) >= Number(match[1]);
    };

    socket.on('data', (data) => {
      if (sentAtResponse < 0) sentAtResponse = sent;
      stopped = true;
      received = Buffer.concat([received, data]);
      if (complete()) {
        socket.destroy();
        finish();
      }
    });
    socket.on('close', () => {
      if (received.length > 0 && !complete()) finish();
    });
    // The server may close while we write: that is the point of the test, not a failure.
    socket.on('error', () => {});

    const pump = () => {
      if (stopped || socket.destroyed) return;
      if (sent >= options.maxBodyBytes) {
        if (options.chunked) socket.write('0\r\n\r\n');
        return;
      }
      const piece = chunk.subarray(0, Math.min(chunk.length, options.maxBodyBytes - sent));
      sent += piece.length;
      const ok = options.chunked
        ? socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]))
        : socket.write(piece);
      if (ok) setImmediate(pump);
      else socket.once('drain', pump);
    };
    socket.on('connect', () => {
      socket.write(`${head}\r\n\r\n`);
      setTimeout(pump, 20);
    });
  });
}
