/**
 * Page scraping: which links are data files, how relative links and <base> resolve. Page HTML is
 * modelled on the real templates (NHS England WordPress year pages, NHS Digital download cards;
 * see tests/fixtures/nhs-samples/pages/README.md) with real file names from those sites.
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { findDataLinks, isDataFileUrl, looksLikeHtml } from '../../lib/web/index.ts';
import { SAMPLES } from './helpers.ts';

const AE_PAGE =
  'https://www.england.nhs.uk/statistics/statistical-work-areas/ae-waiting-times-and-activity/ae-attendances-and-emergency-admissions-2023-24/';

describe('isDataFileUrl', () => {
  it('accepts spreadsheet, CSV and ZIP paths in any case, with query strings and fragments', () => {
    for (const url of [
      'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2026/04/Monthly-AE-Time-Series-March-2026-F5ldj2.xls',
      'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/11/Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx',
      'https://files.digital.nhs.uk/6F/0794D8/gp-reg-pat-prac-all.csv',
      'https://files.digital.nhs.uk/02/F0E82B/OpenSAFELY%20-%20Additional%20data%20tables.zip',
      'https://example.org/MACRO.XLSM?ver=2#sheet',
      'https://example.org/data.ODS',
      '../samples/Time Series 1718.csv',
      'file:///data/x.CSV',
    ]) {
      expect(isDataFileUrl(url), url).toBe(true);
    }
  });

  it('rejects pages, PDFs, documents and extensions hidden in the query', () => {
    for (const url of [
      AE_PAGE,
      'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2024/04/Statistical-Press-Notice-March-2024.pdf',
      'https://files.digital.nhs.uk/AA/BBBBBB/Data-quality-statement.docx',
      'https://example.org/download.php?file=x.xlsx',
      'https://example.org/xlsx',
      'https://example.org/archive.csv.gz',
    ]) {
      expect(isDataFileUrl(url), url).toBe(false);
    }
  });
});

describe('findDataLinks', () => {
  it('finds the files of an NHS England year page in page order, resolving relative links and ignoring PDFs', () => {
    const html = `<!DOCTYPE html>
<html lang="en-GB"><head><title>A&amp;E Attendances and Emergency Admissions 2023-24</title>
<script>var fake = '<a href="/statistics/wp-content/uploads/sites/2/2024/04/fake.xlsx">';</script></head>
<body><main>
<h3>March 2024</h3>
<p><a href="https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2024/04/Monthly-AE-Time-Series-March-2024.xls">Monthly A&amp;E Time Series March 2024 (XLS, 412K)</a></p>
<p><a href='/statistics/wp-content/uploads/sites/2/2024/04/March-2024-AE-by-provider-j47iI.xls' class="link">A&amp;E Attendances and Emergency Admissions March 2024 <span>(XLS, 99K)</span></a></p>
<p><a href="../../../wp-content/uploads/sites/2/2024/04/Statistical-Press-Notice-March-2024.pdf">Press notice (PDF, 300K)</a></p>
<!-- <a href="/statistics/wp-content/uploads/sites/2/2024/04/commented-out.csv">old</a> -->
<h3>January 2024</h3>
<p><a href="../../../wp-content/uploads/sites/2/2024/02/Monthly-AE-Time-Series-January-2024.xls">Monthly A&amp;E Time Series January 2024 (XLS, 410K)</a></p>
<p><a href=/statistics/wp-content/uploads/sites/2/2024/02/January-2024-CSV-RwZq6.CSV>January 2024 CSV</a></p>
<p><a href="https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2024/04/Monthly-AE-Time-Series-March-2024.xls#top"><img src="x.png" alt=""></a></p>
<p><a href="mailto:england.nhsdata@nhs.net">Contact</a> <a href="javascript:void(0)">menu</a> <a name="anchor">x</a></p>
</main></body></html>`;
    expect(findDataLinks(html, AE_PAGE)).toEqual([
      {
        url: 'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2024/04/Monthly-AE-Time-Series-March-2024.xls',
        text: 'Monthly A&E Time Series March 2024 (XLS, 412K)',
      },
      {
        url: 'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2024/04/March-2024-AE-by-provider-j47iI.xls',
        text: 'A&E Attendances and Emergency Admissions March 2024 (XLS, 99K)',
      },
      {
        url: 'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2024/02/Monthly-AE-Time-Series-January-2024.xls',
        text: 'Monthly A&E Time Series January 2024 (XLS, 410K)',
      },
      {
        url: 'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2024/02/January-2024-CSV-RwZq6.CSV',
        text: 'January 2024 CSV',
      },
    ]);
  });

  it('reads NHS Digital download cards, keeping percent-encoding and decoding &amp; in query strings', () => {
    const page = 'https://digital.nhs.uk/data-and-information/publications/statistical/patients-registered-at-a-gp-practice/january-2021';
    const card = (href: string, title: string, format: string) => `
<div class="nhsd-m-download-card">
  <a class="nhsd-a-box-link" href="${href}" aria-label="Download ${title}">
    <div class="nhsd-m-download-card__content-box">
      <p class="nhsd-t-heading-s">${title}</p>
      <span class="nhsd-a-tag nhsd-a-tag--meta">${format}</span><span class="nhsd-a-tag nhsd-a-tag--meta-light">490 KB</span>
    </div>
  </a>
</div>`;
    const html = `<html><body>
${card('https://files.digital.nhs.uk/6F/0794D8/gp-reg-pat-prac-all.csv', 'Patients Registered at a GP Practice January 2021: Totals (GP practice-all persons)', 'csv')}
${card('https://files.digital.nhs.uk/E4/1A7B2C/MHSDS%20Data_JanPerf_2026.zip?x=1&amp;y=2', 'MHSDS Data January 2026', 'zip')}
${card('https://files.digital.nhs.uk/55/ABCDEF/gp-reg-pat-prac-jan-21-metadata.pdf', 'Metadata', 'pdf')}
</body></html>`;
    expect(findDataLinks(html, page)).toEqual([
      {
        url: 'https://files.digital.nhs.uk/6F/0794D8/gp-reg-pat-prac-all.csv',
        text: 'Patients Registered at a GP Practice January 2021: Totals (GP practice-all persons) csv 490 KB',
      },
      {
        url: 'https://files.digital.nhs.uk/E4/1A7B2C/MHSDS%20Data_JanPerf_2026.zip?x=1&y=2',
        text: 'MHSDS Data January 2026 zip 490 KB',
      },
    ]);
  });

  it('honours <base href> (itself relative to the page) and de-duplicates, preferring a non-empty text', () => {
    const html = `<html><head><base href="/statistics/wp-content/uploads/sites/2/"></head><body>
<a href="2025/11/Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx"><img src="xlsx.svg"></a>
<a href="2025/11/Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx">Incomplete Provider Sep25 (XLSX, 9M)</a>
<a href="./2025/11/Full-CSV-data-file-Sep25-ZIP-4M-87700.zip">Full CSV data file Sep25 (ZIP, 4M)</a>
<a href="https://files.digital.nhs.uk/6F/0794D8/gp-reg-pat-prac-all.csv">absolute links ignore base</a>
</body></html>`;
    expect(findDataLinks(html, 'https://www.england.nhs.uk/statistics/statistical-work-areas/rtt-waiting-times/rtt-data-2025-26/')).toEqual([
      {
        url: 'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/11/Incomplete-Provider-Sep25-XLSX-9M-87700.xlsx',
        text: 'Incomplete Provider Sep25 (XLSX, 9M)',
      },
      {
        url: 'https://www.england.nhs.uk/statistics/wp-content/uploads/sites/2/2025/11/Full-CSV-data-file-Sep25-ZIP-4M-87700.zip',
        text: 'Full CSV data file Sep25 (ZIP, 4M)',
      },
      { url: 'https://files.digital.nhs.uk/6F/0794D8/gp-reg-pat-prac-all.csv', text: 'absolute links ignore base' },
    ]);
  });

  it('resolves links of a local page to file: URLs next to it', () => {
    const html = '<a href="Monthly-AE-Time-Series-January-2024.xls">Jan</a> <a href="../proms/Time%20Series%201718.csv">PROMs</a>';
    expect(findDataLinks(html, 'file:///work/samples/ae/page.html')).toEqual([
      { url: 'file:///work/samples/ae/Monthly-AE-Time-Series-January-2024.xls', text: 'Jan' },
      { url: 'file:///work/samples/proms/Time%20Series%201718.csv', text: 'PROMs' },
    ]);
  });

  it('returns nothing for a page that only links documents', () => {
    const html = '<p>Upcoming, not yet published</p><a href="/statistics/wp-content/uploads/sites/2/2025/10/Pre-release-access-list.pdf">PRA list</a>';
    expect(findDataLinks(html, AE_PAGE)).toEqual([]);
  });
});

describe('looksLikeHtml', () => {
  it('recognises HTML documents after a BOM, whitespace, comments or an XHTML prolog', () => {
    for (const page of [
      '<!DOCTYPE html><html><body>Sign in</body></html>',
      '\ufeff\r\n  <html lang="en">',
      '<!-- WordPress error --><!doctype HTML>',
      '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">',
      '<head><title>404</title></head>',
    ]) {
      expect(looksLikeHtml(Buffer.from(page)), page).toBe(true);
    }
  });

  it('does not flag real NHS data files or an Excel 2003 XML workbook', async () => {
    for (const s of [SAMPLES.aeJan2024, SAMPLES.rttJun22, SAMPLES.gpRegistered, SAMPLES.promsCsv]) {
      expect(looksLikeHtml(await readFile(s.path)), s.path).toBe(false);
    }
    const xml = '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">';
    expect(looksLikeHtml(Buffer.from(xml))).toBe(false);
  });
});
