/** `history:` of a table override (lib/config/history.ts): `all`, or `{ keep: latest, by: <column> }`. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/index.ts';
import { failure, FILE } from './helpers.ts';

const config = (history: string) =>
  [
    'publications:',
    '  ae:',
    '    name: A&E',
    '    periods:',
    '      - period: 2024-01',
    '        url: https://www.england.nhs.uk/statistics/ae-2024-01.xls',
    '    overrides:',
    '      tables:',
    '        ae_activity:',
    `          history: ${history}`,
    '',
  ].join('\n');

const table = (text: string) => parseConfig(text, FILE).publications[0].overrides.tables.ae_activity;

describe('history: in a table override', () => {
  it('`{ keep: latest, by }` is read; `all` and `keep: all` are the default (nothing set)', () => {
    expect(table(config('{ keep: latest, by: period }')).history).toEqual({ keep: 'latest', by: 'period' });
    expect(table(config('all')).history).toBeUndefined();
    expect(table(config('{ keep: all, by: period }')).history).toBeUndefined();
  });

  it('a wrong value says what is allowed, at its line', () => {
    expect(failure(config('latest')).message).toContain(`${FILE}:10:20: error: \`history\` in`);
    expect(failure(config('latest')).message).toContain('must be `all` or a mapping with `keep: latest` and `by`, found `latest`');
    expect(failure(config('{ keep: newest, by: period }')).message).toContain('`history.keep` in');
    expect(failure(config('{ keep: latest }')).message).toMatch(/`by`/);
    expect(failure(config('{ keep: latest, by: Period }')).message).toContain('must be a column name (lowercase snake_case), found `Period`');
  });
});
