// The module-resolution hook behind record-imports.mjs (it runs on the loader thread).
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (process.env.NHS_RECORD_IMPORTS) appendFileSync(process.env.NHS_RECORD_IMPORTS, `${resolved.url}\n`);
  return resolved;
}
