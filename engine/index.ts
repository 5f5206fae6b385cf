/**
 * The generic incremental build engine: it knows nothing of HTTP, spreadsheets, PostgreSQL, Parquet, nor of
 * the disk. Rules bring their stores; the caller brings the sources, the failure ledger and the clock.
 */
export * from './digest.ts';
export * from './rule.ts';
export * from './stale.ts';
export * from './events.ts';
export * from './ledger.ts';
export * from './build.ts';
export * from './session.ts';
export { checkRead } from './reads.ts';
