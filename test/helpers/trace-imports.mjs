// Preloaded with `node --import` by test/unit/cli-startup.test.ts: appends every bare specifier that
// the process imports (a package, not a relative path) to the file named by DBFLEET_TRACE_IMPORTS.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      let file;
      export function initialize(data) { file = data.file; }
      export async function resolve(specifier, context, next) {
        if (!/^[./]|^(node|file|data):/.test(specifier)) appendFileSync(file, specifier + '\\n');
        return next(specifier, context);
      }`),
  import.meta.url,
  { data: { file: process.env.DBFLEET_TRACE_IMPORTS } },
);
