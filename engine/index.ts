/** The generic incremental build engine: it knows nothing of HTTP, spreadsheets, PostgreSQL or Parquet. */
export * from './digest.ts';
export * from './file-hasher.ts';
export * from './rule.ts';
export * from './stale.ts';
export * from './events.ts';
export * from './ledger.ts';
export * from './build.ts';
export * from './lock.ts';
