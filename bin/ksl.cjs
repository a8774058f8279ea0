#!/usr/bin/env node
'use strict';
// The `ksl` command. The CLI is bundled to dist/main/cli.cjs by `npm run build` (run by `npm ci`
// through the prepare script).
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'main', 'cli.cjs');
if (!fs.existsSync(bundle)) {
  process.stderr.write('ksl: the CLI is not built yet; run `npm run build` in ' + path.resolve(__dirname, '..') + '\n');
  process.exit(1);
}
require(bundle).main(process.argv).catch((e) => {
  process.stderr.write('ksl: ' + (e && e.message ? e.message : String(e)) + '\n');
  process.exit(1);
});
