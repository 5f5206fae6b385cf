/**
 * A real local HTTP server for tests: every download in the test suite goes through node:http on
 * 127.0.0.1, never through a mocked fetch, so redirects, headers, truncation and concurrency behave
 * as they do against a real site.
 *
 * Routes are matched by the exact request path (with query string) first, then by the path alone.
 * Unknown paths answer 404. Every request is logged in `requests` (method, path, headers).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How to answer one request. */
export interface Route {
  /** HTTP status (default 200). */
  status?: number;
  body?: string | Buffer;
  /** Extra/overriding response headers (lower-case names recommended). */
  headers?: Record<string, string>;
  /** Wait this long before sending anything. */
  delayMs?: number;
  /** Send the headers (with the full Content-Length) and this many body bytes, then destroy the socket. */
  truncateAfter?: number;
  /** Full control: answer the request yourself (other fields are ignored). */
  handler?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** A running test server. */
export interface TestServer {
  /** Base URL, `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  /** Answer `path` with `route`, or with a sequence of routes (one per request; the last repeats). */
  set(path: string, route: Route | Route[]): void;
  /**
   * Serve a file from disk, read on every request (so tests can change it), with ETag (content hash)
   * and Last-Modified (file mtime), answering 304 to matching If-None-Match / If-Modified-Since.
   */
  serveFile(path: string, filePath: string, headers?: Record<string, string>): void;
  /** Every request received, in arrival order. */
  requests: { method: string; path: string; headers: IncomingHttpHeaders }[];
  /** Highest number of requests that were being answered at the same time. */
  readonly maxConcurrent: number;
  close(): Promise<void>;
}

type Handler = { routes: Route[]; served: number } | { filePath: string; headers: Record<string, string> };

/** Start a server on 127.0.0.1 with an OS-assigned port. */
export async function startTestServer(): Promise<TestServer> {
  const handlers = new Map<string, Handler>();
  const requests: TestServer['requests'] = [];
  let inFlight = 0;
  let maxConcurrent = 0;

  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers });
    inFlight++;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        inFlight--;
      }
    };
    res.on('finish', finish);
    res.on('close', finish);
    const h = handlers.get(path) ?? handlers.get(path.replace(/\?.*$/, ''));
    if (!h) {
      sendRoute(req, res, { status: 404, body: `no route for ${path}` });
      return;
    }
    if ('filePath' in h) {
      serveFromDisk(req, res, h.filePath, h.headers).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err.message));
      });
      return;
    }
    const route = h.routes[Math.min(h.served, h.routes.length - 1)]!;
    h.served++;
    sendRoute(req, res, route);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxConcurrent() {
      return maxConcurrent;
    },
    set(path, route) {
      const routes = Array.isArray(route) ? route : [route];
      if (routes.length === 0) throw new Error(`set(${path}): empty route sequence`);
      handlers.set(path, { routes, served: 0 });
    },
    serveFile(path, filePath, headers = {}) {
      handlers.set(path, { filePath, headers });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

function sendRoute(req: IncomingMessage, res: ServerResponse, route: Route): void {
  if (route.handler) {
    route.handler(req, res);
    return;
  }
  const send = (): void => {
    if (res.destroyed) return;
    const body = route.body === undefined ? Buffer.alloc(0) : Buffer.from(route.body);
    const headers: Record<string, string> = { 'content-length': String(body.length), ...route.headers };
    res.writeHead(route.status ?? 200, headers);
    if (route.truncateAfter !== undefined) {
      // Flush part of the body, then kill the connection the way a dropped network link would.
      res.write(body.subarray(0, route.truncateAfter), () => {
        setTimeout(() => res.destroy(), 10);
      });
      return;
    }
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (route.delayMs) {
    const timer = setTimeout(send, route.delayMs);
    res.on('close', () => clearTimeout(timer));
  } else send();
}

async function serveFromDisk(
  req: IncomingMessage,
  res: ServerResponse,
  filePath: string,
  extra: Record<string, string>,
): Promise<void> {
  const [body, st] = await Promise.all([readFile(filePath), stat(filePath)]);
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  // HTTP dates have one-second resolution; compare on that grid.
  const mtimeSec = Math.floor(st.mtimeMs / 1000) * 1000;
  const lastModified = new Date(mtimeSec).toUTCString();
  const validators = { etag, 'last-modified': lastModified };
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  const notModified =
    inm !== undefined
      ? inm.split(',').map((s) => s.trim()).includes(etag)
      : ims !== undefined && !Number.isNaN(Date.parse(ims)) && Date.parse(ims) >= mtimeSec;
  if (notModified) {
    res.writeHead(304, validators);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-length': String(body.length), ...validators, ...extra });
  res.end(req.method === 'HEAD' ? undefined : body);
}
