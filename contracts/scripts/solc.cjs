#!/usr/bin/env node
// A solc executable for forge, backed by the npm `solc` package (soljson), because this machine
// cannot download native solc builds. forge only needs two things from it: `--version`, and
// `--standard-json` with the input on stdin and the output on stdout. Everything else is refused.
//
// soljson (WebAssembly) crashes with "RuntimeError: memory access out of bounds" as soon as the
// sources of one standard-JSON input pass about 1.3 MB, whatever they contain (a comment-only
// file of that size does it), and forge sends every source of the project in one input (forge-std
// alone is over 700 kB, Vm.sol twice under two names). So the wrapper splits forge's output
// selection into chunks and compiles each chunk in its own child process with only the sources
// the chunk's files import, transitively; then it merges the outputs and renumbers source ids to
// one numbering over all sources (ids of files in `sources` and the file indices in source maps),
// so forge sees what one compilation would have given it. Two children run at a time.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const FILES_PER_CHUNK = 8;
/** Inputs below this size (bytes of standard JSON) compile in one go. */
const SINGLE_INPUT_LIMIT = 600_000;
const CHILD_FLAG = '--solc-wrapper-chunk';

const args = process.argv.slice(2);
if (args.includes('--version')) {
  const solc = require('solc');
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write(`solc wrapper: only --version and --standard-json are supported (got: ${args.join(' ')})\n`);
  process.exit(1);
}

/** One soljson compilation of `input` (a standard-JSON string); imports resolved against forge's paths. */
function compileHere(input) {
  const solc = require('solc');
  return solc.compile(input, { import: findImport });
}

/** The base path and the include/allow paths forge passes, where imports are looked up. */
const importRoots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  if (['--base-path', '--include-path', '--allow-paths'].includes(args[i]) && args[i + 1]) {
    for (const p of args[i + 1].split(',')) importRoots.push(path.resolve(p));
  }
}

/** solc's import callback: a path resolved against the base path and the include/allow paths forge passes. */
function findImport(importPath) {
  for (const root of importRoots) {
    const candidate = path.resolve(root, importPath);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `File not found: ${importPath}` };
}

/** Runs this script as a child on one chunk's input; resolves with its standard-JSON output. */
function compileInChild(input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, ...args, CHILD_FLAG], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`solc wrapper: a chunk's compiler exited with ${code}`));
      else resolve(JSON.parse(Buffer.concat(out).toString('utf8')));
    });
    child.stdin.end(input);
  });
}

/** The source unit names `unit` imports, resolved the way solc does (relative, then remappings). */
function importsOf(unit, content, remappings) {
  const names = [];
  const re = /^\s*import\s+(?:[^'";]*?\bfrom\s+)?["']([^"']+)["']/gm;
  for (let m = re.exec(content); m; m = re.exec(content)) {
    let name = m[1];
    if (name.startsWith('./') || name.startsWith('../')) name = path.posix.normalize(path.posix.join(path.posix.dirname(unit), name));
    let best;
    for (const r of remappings) if (name.startsWith(r.prefix) && (!best || r.prefix.length > best.prefix.length)) best = r;
    if (best) name = best.target + name.slice(best.prefix.length);
    names.push(name);
  }
  return names;
}

/**
 * The sources `files` need from the input (themselves and their imports, transitively). An import
 * missing from the input is one solc loads through the import callback: it is followed on disk but
 * not returned. Null when an import can be found neither way.
 */
function closure(files, sources, remappings, read) {
  const needed = new Set();
  const visited = new Set();
  const stack = [...files];
  while (stack.length) {
    const unit = stack.pop();
    if (visited.has(unit)) continue;
    visited.add(unit);
    let content;
    if (unit in sources) {
      needed.add(unit);
      content = sources[unit].content ?? '';
    } else {
      const found = read(unit);
      if (found.error) return null;
      content = found.contents;
    }
    stack.push(...importsOf(unit, content, remappings));
  }
  return needed;
}

/** Rewrites the file index (third field) of every entry of a compressed source map. */
function renumberSourceMap(map, remap) {
  return map
    .split(';')
    .map((entry) => {
      const fields = entry.split(':');
      if (fields.length > 2 && fields[2] !== '' && fields[2] !== '-1') fields[2] = String(remap(Number(fields[2])));
      return fields.join(':');
    })
    .join(';');
}

/**
 * Renumbers one chunk's output to the global source ids (`globalIds`: name -> id over all sources);
 * compiler-generated sources (local ids past the chunk's own sources) move past all sources.
 */
function renumber(output, globalIds) {
  const local = Object.entries(output.sources ?? {});
  const localToGlobal = new Map(local.map(([name, s]) => [s.id, globalIds.get(name)]));
  const total = globalIds.size;
  const remap = (id) => localToGlobal.get(id) ?? total + (id - local.length);
  for (const [name, s] of local) s.id = globalIds.get(name);
  for (const contracts of Object.values(output.contracts ?? {})) {
    for (const c of Object.values(contracts)) {
      for (const code of [c.evm?.bytecode, c.evm?.deployedBytecode]) {
        if (code?.sourceMap) code.sourceMap = renumberSourceMap(code.sourceMap, remap);
      }
    }
  }
  return output;
}

/** Merges chunk outputs: contracts by file, sources preferring entries with an AST, errors once each. */
function merge(outputs) {
  const merged = { contracts: {}, sources: {}, errors: [] };
  const seen = new Set();
  for (const o of outputs) {
    for (const [file, contracts] of Object.entries(o.contracts ?? {})) merged.contracts[file] = { ...merged.contracts[file], ...contracts };
    for (const [file, source] of Object.entries(o.sources ?? {})) {
      if (!merged.sources[file] || (source.ast && !merged.sources[file].ast)) merged.sources[file] = source;
    }
    for (const e of o.errors ?? []) {
      const key = `${e.severity}|${e.formattedMessage ?? e.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        merged.errors.push(e);
      }
    }
  }
  if (merged.errors.length === 0) delete merged.errors;
  return merged;
}

async function main() {
  const input = fs.readFileSync(0, 'utf8');
  if (args.includes(CHILD_FLAG)) {
    process.stdout.write(compileHere(input));
    return;
  }
  const parsed = JSON.parse(input);
  const selection = parsed.settings?.outputSelection ?? {};
  const files = Object.keys(selection);
  const sources = parsed.sources ?? {};
  const remappings = (parsed.settings?.remappings ?? []).map((r) => {
    const [prefix, target] = r.slice(r.indexOf(':') + 1).split('=');
    return { prefix, target };
  });
  const closures = files.map((f) => closure([f], sources, remappings, findImport));
  // Small inputs, wildcard selections and imports this resolver cannot follow: one compilation.
  if (input.length < SINGLE_INPUT_LIMIT || files.includes('*') || closures.some((c) => c === null)) {
    process.stdout.write(compileHere(input));
    return;
  }
  const chunks = [];
  for (let i = 0; i < files.length; i += FILES_PER_CHUNK) {
    const names = files.slice(i, i + FILES_PER_CHUNK);
    const needed = new Set(closures.slice(i, i + FILES_PER_CHUNK).flatMap((c) => [...c]));
    const part = Object.fromEntries(names.map((f) => [f, selection[f]]));
    const chunkSources = Object.fromEntries([...needed].map((n) => [n, sources[n]]));
    chunks.push(JSON.stringify({ ...parsed, sources: chunkSources, settings: { ...parsed.settings, outputSelection: part } }));
  }
  const outputs = new Array(chunks.length);
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const k = next++;
      outputs[k] = await compileInChild(chunks[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(2, os.cpus().length, chunks.length) }, worker));
  // One numbering over every source any chunk saw (the input's and those loaded by callback).
  const names = new Set(Object.keys(sources));
  for (const o of outputs) for (const name of Object.keys(o.sources ?? {})) names.add(name);
  const globalIds = new Map([...names].sort().map((name, id) => [name, id]));
  process.stdout.write(JSON.stringify(merge(outputs.map((o) => renumber(o, globalIds)))));
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
