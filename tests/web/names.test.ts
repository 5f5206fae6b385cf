/**
 * File names from strangers: sanitising, and hostile Content-Disposition headers / URLs served by
 * a real server that must never place a file outside downloads/.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchToStore, fileNameFromContentDisposition, sanitiseFileName } from '../../lib/web/index.ts';
import { listFiles, SAMPLES, testDeps, withServerAndWorkspace } from './helpers.ts';

describe('sanitiseFileName', () => {
  it('keeps real NHS names unchanged', () => {
    for (const name of [
      'Monthly-AE-Time-Series-March-2026-F5ldj2.xls',
      'Primary Care Networks – March 2020 Individual Level.csv',
      'MHSDS Data_JanPerf_2026.zip',
      'Full-CSV-data-file-Apr24-ZIP-3855K-11417.zip',
      'gp-reg-pat-prac-all.csv',
    ]) {
      expect(sanitiseFileName(name)).toBe(name);
    }
  });

  it('removes separators, "..", control characters, leading dots and Windows-illegal characters', () => {
    expect(sanitiseFileName('../../etc/passwd')).toBe('etc_passwd');
    expect(sanitiseFileName('..\\..\\windows\\system32\\x.xlsx')).toBe('windows_system32_x.xlsx');
    expect(sanitiseFileName('.bashrc')).toBe('bashrc');
    expect(sanitiseFileName('..')).toBe('download');
    expect(sanitiseFileName('a..b.csv')).toBe('a.b.csv');
    expect(sanitiseFileName('evil\u0000name\n.csv')).toBe('evil_name_.csv');
    expect(sanitiseFileName('what?<>|"*:.xlsx')).toBe('what_______.xlsx');
    expect(sanitiseFileName('trailing dots...')).toBe('trailing dots');
    expect(sanitiseFileName('')).toBe('download');
    expect(sanitiseFileName('CON.csv')).toBe('_CON.csv');
  });

  it('bounds the length in UTF-8 bytes and keeps the extension', () => {
    const long = `${'–'.repeat(200)}.xlsx`; // 600 bytes of en dashes
    const out = sanitiseFileName(long);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(180);
    expect(out.endsWith('.xlsx')).toBe(true);
    expect(out).toBe(`${'–'.repeat(58)}.xlsx`); // 58 × 3 bytes + 5 = 179 ≤ 180
  });
});

describe('fileNameFromContentDisposition', () => {
  it('reads quoted, bare and RFC 5987 forms, preferring filename*', () => {
    expect(fileNameFromContentDisposition('attachment; filename="Time Series 1718.csv"')).toBe('Time Series 1718.csv');
    expect(fileNameFromContentDisposition('attachment; filename=gp-reg-pat-prac-all.csv')).toBe('gp-reg-pat-prac-all.csv');
    expect(
      fileNameFromContentDisposition(`attachment; filename="fallback.csv"; filename*=UTF-8''caf%C3%A9%20%E2%80%93%201.csv`),
    ).toBe('café – 1.csv');
    expect(fileNameFromContentDisposition('inline')).toBeUndefined();
    expect(fileNameFromContentDisposition(null)).toBeUndefined();
  });
});

describe('hostile names over HTTP', () => {
  const t = withServerAndWorkspace();

  it('keeps every hostile Content-Disposition and URL name inside downloads/<sha256>/', async () => {
    const body = await readFile(SAMPLES.rttJun22.path);
    const hostile: [string, Record<string, string>][] = [
      ['/a.xlsx', { 'content-disposition': 'attachment; filename="../../etc/passwd"' }],
      ['/b.xlsx', { 'content-disposition': "attachment; filename*=UTF-8''..%2F..%2F..%2Fescape.xlsx" }],
      ['/c.xlsx', { 'content-disposition': 'attachment; filename="/abs/olute.xlsx"' }],
      ['/d.xlsx', { 'content-disposition': 'attachment; filename=".."' }],
      ['/x/..%2F..%2Fup.xlsx', {}],
      ['/dl/%2E%2E%2F.bashrc', {}],
    ];
    for (const [path, headers] of hostile) t.server.set(path, { body, headers });
    const names: string[] = [];
    for (const [path] of hostile) {
      const r = await fetchToStore(t.server.url + path, { store: t.ws.store, baseDir: t.ws.root, deps: testDeps(), expect: 'data' });
      names.push(r.entry.name);
      expect(t.ws.store.blobPath(r.entry).startsWith(join(t.ws.downloads, SAMPLES.rttJun22.sha256) + sep)).toBe(true);
    }
    expect(names).toEqual(['etc_passwd', 'escape.xlsx', 'abs_olute.xlsx', 'download', 'up.xlsx', 'bashrc']);
    // Nothing was written next to downloads/: the workspace root holds only the store.
    expect(await readdir(t.ws.root)).toEqual(['downloads']);
    expect(await listFiles(t.ws.downloads)).toEqual([
      ...['abs_olute.xlsx', 'bashrc', 'download', 'escape.xlsx', 'etc_passwd', 'up.xlsx'].map((n) => `${SAMPLES.rttJun22.sha256}/${n}`),
      'index.json',
    ]);
  });
});
