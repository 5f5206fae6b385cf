// Loaded with `node --import`: records the URL of every module the process resolves, one per line, in the file
// named by NHS_RECORD_IMPORTS (tests/e2e/lazy-imports.test.ts checks what each command loads).
import { register } from 'node:module';

register('./record-imports-hook.mjs', import.meta.url);
