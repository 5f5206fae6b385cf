/**
 * Shared helpers for the web tests: real NHS sample files, throw-away workspaces, a recording
 * sleep (no real waiting) and a fixed clock.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';
import { DownloadStore, type WebDeps } from '../../lib/web/index.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Absolute path of a file under tests/fixtures/nhs-samples. */
export function sample(rel: string): string {
  return join(here, '..', 'fixtures', 'nhs-samples', rel);
}

/** The real files the tests serve, with sizes and SHA-256 taken with `stat`/`sha256sum` by hand. */
export const SAMPLES = {
  aeJan2024: {
    path: sample('ae-attendances-emergency-admissions/Monthly-AE-Time-Series-January-2024.xls'),
    size: 410112,
    sha256: '5d1589d6196a4d68ab2d90c271868f66f088fe1e2c42c01edd5e6bb8ff204e84',
  },
  aeMar2024: {
    path: sample('ae-attendances-emergency-admissions/Monthly-AE-Time-Series-March-2024.xls'),
    size: 412160,
    sha256: '5cdc0ffad81a59caace7aa044d1356d17aa51e804bd8a59858ed26ab4c6e10be',
  },
  promsCsv: {
    path: sample('proms/Time Series 1718.csv'),
    size: 1132224,
    sha256: 'c1413164ba0949d2df4bbb5e2f8ad5ebf6c553b18b691f1a1805cee22eff1c36',
  },
  rttJun22: {
    path: sample('rtt-waiting-times/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx'),
    size: 78239,
    sha256: '38484d86addeb1ca2107a45f050210043c74cdd5c347f25598f879dd843690a2',
  },
  gpRegistered: {
    path: sample('gp-patients-registered/2021-01/gp-reg-pat-prac-all.csv'),
    size: 490522,
    sha256: '50cba22147db5e074a86bafaa5295030e2c37a9d97e6eee1ffefc303121dabad',
  },
  pcnMar2020: {
    path: sample('pcn-workforce/Primary Care Networks – March 2020 Individual Level.csv'),
    size: 122895,
    sha256: 'f26ad13a1bb78680c03bdecd30412912313b52e034b67f114d61565f8aae739d',
  },
} as const;

/** A fresh workspace folder with a `downloads/` store inside. */
export async function workspace(): Promise<{ root: string; downloads: string; store: DownloadStore; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'nhs-web-'));
  const downloads = join(root, 'downloads');
  return { root, downloads, store: new DownloadStore(downloads), cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Registers hooks giving each test of the file/describe a fresh `server` and `ws`, closed and cleaned up after it. */
export function withServerAndWorkspace(): { server: TestServer; ws: Awaited<ReturnType<typeof workspace>> } {
  const t = {} as { server: TestServer; ws: Awaited<ReturnType<typeof workspace>> };
  beforeEach(async () => {
    t.server = await startTestServer();
    t.ws = await workspace();
  });
  afterEach(async () => {
    await t.server.close();
    await t.ws.cleanup();
  });
  return t;
}

/** Deps with a sleep that records requested waits and returns at once, and a fixed clock. */
export function testDeps(now = new Date('2026-03-12T09:30:00.000Z')): WebDeps & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
  };
}

/** Every file below `dir` as a path relative to it (empty if `dir` does not exist). */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
