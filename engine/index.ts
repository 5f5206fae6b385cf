/**
 * The generic incremental build engine: it knows nothing of HTTP, spreadsheets, PostgreSQL, Parquet, nor of
 * the disk. Rules bring their stores; the caller brings the sources, the failure ledger and the clock.
 *
 * Importing this loads the whole engine. The reporters import their two pure helpers (`splitKey`, `describeReason`)
 * from rule.ts and stale.ts instead, so a build the no-op proof vouches for never loads the build machinery.
 */
export * from './digest.ts';
export * from './rule.ts';
export * from './stale.ts';
export * from './events.ts';
export * from './ledger.ts';
export * from './build.ts';
export * from './session.ts';
export { checkRead } from './reads.ts';
