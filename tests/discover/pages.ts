/**
 * Fixture publication pages, written from the documented structure of real NHS pages
 * (shared/nhs-samples/pages/README.md, docs of the old system): Hippo CMS series and edition pages of
 * digital.nhs.uk (download cards), WordPress year and work-area pages of england.nhs.uk (month headings, plain
 * anchors whose text carries the type and size, files under the upload month's folder).
 */

const page = (title: string, body: string) =>
  `<!DOCTYPE html><html lang="en"><head><title>${title} - NHS England Digital</title></head><body>` +
  `<header><a href="/">Home</a> <a href="/data-and-information">Data and information</a></header>` +
  `<div class="nhsd-o-banner">NHS Digital has merged with NHS England</div><main><h1>${title}</h1>${body}</main>` +
  `<footer><a href="/about-nhs-digital">About</a> <a href="/accessibility">Accessibility</a></footer></body></html>`;

/** A digital.nhs.uk series page: the latest edition, past editions, and upcoming ones (linked, but no files yet). */
export function seriesPage(title: string, path: string, editions: { slug: string; text: string }[], upcoming: { slug: string; text: string }[] = []): string {
  const [latest, ...past] = editions;
  const li = (e: { slug: string; text: string }) => `<li><a href="${path}/${e.slug}" class="nhsd-a-link">${e.text}</a></li>`;
  return page(
    title,
    `<p>Official statistics</p>` +
      (latest ? `<h2>Latest statistics</h2><a class="nhsd-a-box-link" href="${path}/${latest.slug}"><p>${latest.text}</p></a>` : '') +
      `<h2>Upcoming publications</h2><ul>${upcoming.map(li).join('')}</ul>` +
      `<h2>Past publications</h2><ul>${past.map(li).join('')}</ul>` +
      `<a href="${path}/supporting-information">Supporting information</a> <a href="${path}/metadata">Metadata</a>`,
  );
}

/** A digital.nhs.uk edition page: download cards (`div.nhsd-m-download-card > a.nhsd-a-box-link`). */
export function editionPage(title: string, files: string[]): string {
  const card = (href: string) => {
    const name = decodeURIComponent(href.split('/').pop()!);
    const ext = name.split('.').pop()!.toUpperCase();
    return `<div class="nhsd-m-download-card"><a class="nhsd-a-box-link" href="${href}"><p class="nhsd-t-heading-s">${name}</p>` +
      `<span class="nhsd-a-tag--meta">${ext}</span><span class="nhsd-a-tag--meta-light">12 KB</span></a></div>`;
  };
  return page(title, `<p>Published 13 November 2025</p>${files.map(card).join('')}<a href="/data-and-information/publications/statistical/pdf-report.pdf">Report (PDF)</a>`);
}

/** An england.nhs.uk year page: month headings, then plain anchors `Name MonYY (XLSX, 9M)`. */
export function yearPage(title: string, months: { heading: string; files: { href: string; text: string }[] }[]): string {
  return page(title, months.map((m) => `<h3>${m.heading}</h3><p>${m.files.map((f) => `<a href="${f.href}">${f.text}</a><br>`).join('')}</p>`).join(''));
}

/** An england.nhs.uk work-area page: one link per financial year page. */
export function workAreaPage(title: string, years: { href: string; text: string }[]): string {
  return page(title, `<p>Consultant-led Referral to Treatment Waiting Times Data</p><ul>${years.map((y) => `<li><a href="${y.href}">${y.text}</a></li>`).join('')}</ul>`);
}
