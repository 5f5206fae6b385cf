/**
 * Faults a real web server commits, as routes for the test server (tests/rig/http-server.ts): every way
 * a publication site has been seen to fail, or could, from a plain 404 to a server that accepts the
 * connection and then never says a word. Each is a real HTTP exchange over a real socket; nothing here
 * mocks fetch. Routes that stall keep the socket open until the server closes it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from './http-server.ts';

export const fault = {
  status: (status: number, headers: Record<string, string> = {}): Route => ({ status, headers, body: `error ${status}` }),

  /** 429 Too Many Requests asking for a pause of `seconds`. */
  tooManyRequests: (seconds: number): Route => ({ status: 429, headers: { 'retry-after': String(seconds) } }),

  /** A redirect (302 unless said otherwise) to `location`, relative or absolute, any scheme. */
  redirect: (location: string, status = 302): Route => ({ status, headers: { location } }),

  /** Headers with the full Content-Length and part of the body, then the socket is destroyed (a reset). */
  resetMidBody: (body: Buffer, after: number): Route => ({ body, truncateAfter: after }),

  /** Headers promising `body.length` bytes, `sent` of them, then a clean close: the body is short, not reset. */
  shortBody: (body: Buffer, sent: number): Route => ({
    handler: (_req, res) => {
      const socket = res.socket!;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
      socket.end(body.subarray(0, sent));
    },
  }),

  /** Headers (and `sent` body bytes), then silence with the connection held open. */
  stallAfterHeaders: (body: Buffer, sent = 0): Route => ({
    handler: (_req, res) => {
      res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'text/csv' });
      res.write(body.subarray(0, sent));
    },
  }),

  /** The connection is accepted and the request read; no response is ever sent. */
  stallBeforeHeaders: (): Route => ({ handler: () => undefined }),

  /** The whole body, `bytes` at a time every `everyMs`: slow, but never silent for long. */
  trickle: (body: Buffer, bytes: number, everyMs: number): Route => ({
    handler: (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'text/csv' });
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(body.subarray(at, at + bytes));
        at += bytes;
        if (at >= body.length) {
          clearInterval(timer);
          res.end();
        }
      }, everyMs);
      res.on('close', () => clearInterval(timer));
    },
  }),

  /** Says `Content-Encoding: gzip` but sends the bytes as they are. */
  notGzip: (body: Buffer): Route => ({ body, headers: { 'content-encoding': 'gzip', 'content-type': 'text/csv' } }),

  /** An HTML page (a login or error page) served where a spreadsheet was linked. */
  html: (): Route => ({ body: '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>', headers: { 'content-type': 'text/html' } }),
};

/** A port on 127.0.0.1 with nothing listening (a listener opened and closed again). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
