/**
 * The pipeline's stages, in order: a publication period goes through the period stages; the tables they
 * feed through the table stages; the workspace through the last. `build`, `status`, `explain` and `clean`
 * all read this list. Adding a stage: one file beside this one, and one line here.
 */
import type { Stage } from '../stage.ts';
import { canonical } from './canonical.ts';
import { catalog } from './catalog.ts';
import { download } from './download.ts';
import { draft } from './draft.ts';
import { enriched } from './enriched/index.ts';
import { loaded } from './loaded.ts';
import { parquet } from './parquet.ts';

export const STAGES: readonly Stage[] = [download, draft, enriched, canonical, loaded, parquet, catalog];
