#!/usr/bin/env node
// A solc executable for forge, backed by the npm `solc` package (soljson), because this machine
// cannot download native solc builds. forge only needs two things from it: `--version`, and
// `--standard-json` with the input on stdin and the output on stdout. Everything else is refused.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const solc = require('solc');

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write(`solc wrapper: only --version and --standard-json are supported (got: ${args.join(' ')})\n`);
  process.exit(1);
}
// Imports are resolved against the base path and the include/allow paths forge passes.
const roots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  if (['--base-path', '--include-path', '--allow-paths'].includes(args[i]) && args[i + 1]) {
    for (const p of args[i + 1].split(',')) roots.push(path.resolve(p));
  }
}
function findImport(importPath) {
  for (const root of roots) {
    const candidate = path.resolve(root, importPath);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `File not found: ${importPath}` };
}
const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImport }));
