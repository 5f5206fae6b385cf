/**
 * A real S3-compatible server for tests: s3rver (from npm) on 127.0.0.1, in a temp folder, with the bucket
 * `nhs-archive`. Every request is counted (method and key) and a test can hook one (to press Ctrl-C mid-upload).
 * s3rver checks access key ids (the default account is S3RVER/S3RVER) but not signature-v4 signatures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  requests: { method: string; key: string }[];
  /** Called as each request arrives, before it is answered. */
  onRequest?: (req: { method: string; key: string }) => void;
  close(): Promise<void>;
}

// The SDK's notice that its 2027 versions need Node 22 (this one is pinned) would clutter every test run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export async function startS3(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const s3 = new S3rver({ silent: true, directory, configureBuckets: [{ name: 'nhs-archive', configs: [] }] });
  await s3.configureBuckets();
  const handle = s3.callback();
  const out: S3TestServer = {
    endpoint: '',
    bucket: 'nhs-archive',
    requests: [],
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(directory, { recursive: true, force: true });
    },
  };
  const server = createServer((req: IncomingMessage, res) => {
    const key = decodeURIComponent((req.url ?? '').replace(/\?.*$/, '').replace(/^\/nhs-archive\/?/, ''));
    const r = { method: req.method ?? 'GET', key };
    out.requests.push(r);
    out.onRequest?.(r);
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  out.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return out;
}
