/** `discover:`, `archive:` and `retention:` in the config: read when right, file:line:col and a hint when wrong. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.ts';
import { addPeriods } from '../../lib/config/edit.ts';
import { FILE, failure } from './helpers.ts';

const PUB = ['publications:', '  adhd:', '    name: ADHD', '    landing_page: https://digital.nhs.uk/x/mi-adhd', '    files: ADHD_{MMM}{YY}*', '    periods:', '      - period: 2025-05', '        url: https://digital.nhs.uk/x/mi-adhd/may-2025'];

describe('discover:, archive: and retention:', () => {
  it('are read, with files: kept as written', () => {
    const text = ['archive:', '  url: s3://nhs-archive/pipeline/', '  endpoint: https://acct.r2.cloudflarestorage.com', 'retention:', '  keep_periods: 3', ...PUB, '    discover:', '      since: 2024-04', '      exclude: [2024-12, FY2023-24]'].join('\n');
    const c = parseConfig(text, FILE);
    expect(c.archive).toEqual({ url: 's3://nhs-archive/pipeline/', bucket: 'nhs-archive', prefix: 'pipeline', endpoint: 'https://acct.r2.cloudflarestorage.com' });
    expect(c.retention).toEqual({ keepPeriods: 3 });
    expect(c.publications[0]!.filePatterns).toEqual(['ADHD_{MMM}{YY}*']);
    expect(c.publications[0]!.discover).toEqual({ exclude: ['2024-12', 'FY2023-24'], since: { label: '2024-04', kind: 'month', start: '2024-04-01', end: '2024-04-30' } });
  });

  it('a bad discover: period says where and how periods are written', () => {
    const err = failure([...PUB, '    discover:', '      since: April 2024', '      exclud: [2024-12]'].join('\n'));
    expect(err.message).toContain(`${FILE}:10:14: error: \`since\` must be a period label, found \`April 2024\``);
    expect(err.message).toContain("unknown key `exclud` in `discover` of publication `adhd`");
    expect(err.message).toContain('did you mean `exclude`?');
  });

  it('credentials in the config are refused, pointing at the environment; a bad url or keep_periods says what is expected', () => {
    const err = failure(['archive:', '  url: s3://Bad_Bucket', '  secret_access_key: hunter2', 'retention:', '  keep_periods: 0', ...PUB].join('\n'));
    expect(err.message).toContain(`${FILE}:2:8: error: \`url\` of \`archive\` must be \`s3://<bucket>/<prefix>\``);
    expect(err.message).toContain(`${FILE}:3:3: error: unknown key \`secret_access_key\` in \`archive\``);
    expect(err.message).toContain('credentials never go in the config file: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment');
    expect(err.message).toContain('`keep_periods` must be a whole number of periods, at least 1, found `0`');
  });
});

describe('adding periods to the config text', () => {
  it('writes each entry like its neighbours, CRLF kept, a URL left plain when YAML reads it back the same', () => {
    const text = [...PUB, ''].join('\r\n');
    const { text: out } = addPeriods(text, FILE, [
      { publication: 'adhd', period: '2025-11', url: 'https://digital.nhs.uk/x/mi-adhd/november-2025#files' },
      { publication: 'adhd', period: '2025-08', url: 'https://digital.nhs.uk/x/mi-adhd/august-2025' },
      { publication: 'adhd', period: '2024-11', url: 'https://digital.nhs.uk/x/mi-adhd/november-2024' },
    ]);
    expect(out).toBe([...PUB.slice(0, 6),
      '      - period: 2024-11', '        url: https://digital.nhs.uk/x/mi-adhd/november-2024',
      ...PUB.slice(6),
      '      - period: 2025-08', '        url: https://digital.nhs.uk/x/mi-adhd/august-2025',
      '      - period: 2025-11', '        url: https://digital.nhs.uk/x/mi-adhd/november-2025#files', ''].join('\r\n'));
  });
});
