// One command-line vocabulary for the node, the solver and the devnet. Each program declares its
// settings as a table of fields (config-file key, flag, kind of value, default, help); from it this
// module builds the commander program (--help lists every flag with its default, on stdout, exit 0)
// and the zod schema of the program's JSON config file, then merges
//
//   flags  >  environment variables  >  --config file  >  defaults
//
// validating every value the same way whatever its source. A bad value, an unknown flag or config
// key, or a missing required setting is a UsageError (exit status 2) that names the flag or the key,
// what was given and what is expected.
//
// It lives under node/ (the top level is fixed) but is a leaf: it imports nothing else of the
// repository, so the solver and the devnet may import it without depending on the node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { bool, httpUrl, int, type Kind, type LogLevel, logLevel, path, peerAddr } from './values.ts';

export type Field = {
  /** Key in the config file and in the parsed result (camelCase). */
  key: string;
  /** Flag without the dashes (`api-port`); absent: config file only. A flag starting `no-` sets the key to false. */
  flag?: string;
  /** A second, negating flag for a boolean (`no-ip-colocation`). */
  negation?: string;
  kind: Kind<unknown>;
  help: string;
  /** Applied when no flag, variable or file sets the key; shown in --help. */
  default?: unknown;
  /** How --help states the default when it is not the value itself (`an embedded anvil`, `off`). */
  defaultText?: string;
  required?: boolean;
  /** A repeatable flag; an array in the config file. */
  many?: boolean;
  /** Environment variable read when the flag is absent. */
  env?: string;
};

export type CliSpec = {
  /** How the program is run, for the usage line (`npm run node --`). */
  name: string;
  summary: string;
  fields: Field[];
  /** Extra paragraphs at the end of --help. */
  notes?: string[];
};

/** Wrong flags, values or config: exit status 2, message on stderr. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** --help or --version: the text goes to stdout, exit status 0. */
export class HelpRequested extends Error {
  readonly exitCode = 0;
}

/** Settings every program shares, declared once so their flag, meaning and checks agree. */
export const common = {
  rpcUrl: (help: string, defaultText?: string): Field => ({
    key: 'rpcUrl',
    flag: 'rpc-url',
    kind: httpUrl,
    help,
    ...(defaultText ? { defaultText } : {}),
  }),
  dataDir: (help: string, o: { default?: string; required?: boolean } = {}): Field => ({
    key: 'dataDir',
    flag: 'data-dir',
    kind: path('dir'),
    help,
    ...o,
  }),
  logLevel: (help = 'log level', dflt: LogLevel = 'info', kind: Kind<string> = logLevel): Field => ({
    key: 'logLevel',
    flag: 'log-level',
    kind,
    help,
    default: dflt,
    env: 'LOG_LEVEL',
  }),
  auctionIntervalMs: (dflt: number): Field => ({
    key: 'auctionIntervalMs',
    flag: 'auction-interval-ms',
    kind: int(1, 3_600_000, 'ms'),
    help: 'auction window',
    default: dflt,
  }),
  bootstrap: (help: string): Field => ({ key: 'bootstrap', flag: 'bootstrap', kind: peerAddr, many: true, help, default: [] }),
};

const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

const camel = (flag: string): string => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};
const label = (f: Field): string => (f.flag ? `--${f.flag}` : `"${f.key}"`);

function describe(f: Field): string {
  const extra: string[] = [];
  if (f.kind.choices) extra.push(`one of ${f.kind.choices.join(', ')}`);
  if (f.required) extra.push('required');
  else if (f.defaultText !== undefined) extra.push(`default: ${f.defaultText}`);
  else if (f.default !== undefined && !f.flag?.startsWith('no-'))
    extra.push(`default: ${Array.isArray(f.default) ? f.default.join(' ') || 'none' : String(f.default)}`);
  if (f.many) extra.push('repeatable');
  if (f.env) extra.push(`env ${f.env}`);
  return extra.length ? `${f.help} (${extra.join('; ')})` : f.help;
}

/** Word-wraps a paragraph (lines starting with spaces are kept as they are). */
function wrap(paragraph: string, width: number): string {
  return paragraph
    .split('\n')
    .map((line) => {
      if (line.startsWith(' ')) return line;
      const out: string[] = [];
      let cur = '';
      for (const w of line.split(' ')) {
        if (cur && cur.length + 1 + w.length > width) {
          out.push(cur);
          cur = w;
        } else cur = cur ? `${cur} ${w}` : w;
      }
      return [...out, cur].join('\n');
    })
    .join('\n');
}

/** The commander program for a spec (exported for tests that read the help). */
export function buildProgram(spec: CliSpec, out: { out: string; err: string } = { out: '', err: '' }): Command {
  const program = new Command(spec.name)
    .description(spec.summary)
    .helpOption('-h, --help', 'print this help and exit')
    .configureHelp({ helpWidth: 100 })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => {
        out.out += s;
      },
      writeErr: (s) => {
        out.err += s;
      },
    })
    .allowExcessArguments(false);
  program.addOption(new Option('--config <file>', 'JSON config file; keys are the settings below in camelCase (see the end of this help)'));
  for (const f of spec.fields) {
    if (!f.flag) continue;
    const flags = f.kind === bool ? `--${f.flag}` : `--${f.flag} <${f.kind.placeholder}>`;
    const o = new Option(flags, describe(f));
    if (f.many) o.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    program.addOption(o);
    if (f.negation) program.addOption(new Option(`--${f.negation}`, `turn --${f.flag} off`));
  }
  program.version(VERSION, '--version', 'print the version and exit');
  const fileOnly = spec.fields.filter((f) => !f.flag);
  const renamed = spec.fields.filter((f) => f.flag && camel(f.flag.replace(/^no-/, '')) !== f.key);
  const example = spec.fields.find((f) => f.flag?.includes('-') && camel(f.flag) === f.key) ?? { flag: 'data-dir', key: 'dataDir' };
  const notes = [
    `Config file (--config <file>): one JSON object whose keys are the flags in camelCase (--${example.flag} -> ${example.key}${renamed.map((f) => `, --${f.flag} -> ${f.key}`).join('')}); a --no-x flag is "x": false; repeatable flags are arrays; numbers are JSON numbers; unknown keys are refused.`,
    ...(fileOnly.length ? [`Config file only:\n${fileOnly.map((f) => `  ${f.key.padEnd(22)} ${describe(f)}`).join('\n')}`] : []),
    'Precedence: flags override environment variables, which override the config file, which overrides the defaults shown.',
    'Exit status: 0 done, 1 failed while running, 2 usage error (bad flag, value or config file).',
    ...(spec.notes ?? []),
  ];
  program.addHelpText('after', `\n${notes.map((n) => wrap(n, 100)).join('\n\n')}`);
  return program;
}

/** Runs commander over argv: flags given (by attribute name) or a HelpRequested / UsageError. */
function parseFlags(spec: CliSpec, argv: readonly string[]): { program: Command; given: Map<string, unknown> } {
  const out = { out: '', err: '' };
  const program = buildProgram(spec, out);
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) throw new HelpRequested(out.out);
    // commander suggests near spellings; a flag the given one is the start of (--rpc -> --rpc-url) it does not
    const unknown = e.code === 'commander.unknownOption' ? /'(--[^'=]+)/.exec(e.message)?.[1] : undefined;
    const longer =
      unknown && !e.message.includes('Did you mean') ? program.options.find((o) => o.long?.startsWith(`${unknown}-`))?.long : undefined;
    throw new UsageError(`${e.message}${longer ? `\n(Did you mean ${longer}?)` : ''}\n(--help lists every flag and its default)`);
  }
  const given = new Map<string, unknown>();
  for (const [k, v] of Object.entries(program.opts())) if (program.getOptionValueSource(k) === 'cli') given.set(k, v);
  return { program, given };
}

/** The zod schema of a spec's config file: every field optional, nothing else allowed. */
export function fileSchema(spec: CliSpec): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const f of spec.fields)
    shape[f.key] = (f.many ? z.array(f.kind.schema, { error: `expected a list, each ${f.kind.expected}` }) : f.kind.schema).optional();
  return z.strictObject(shape, {
    error: (i) => (i.code === 'invalid_type' ? 'expected a JSON object of settings' : undefined),
  }) as unknown as z.ZodType<Record<string, unknown>>;
}

function near(key: string, known: string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  return known.find((k) => norm(k) === norm(key));
}

function formatIssue(spec: CliSpec, issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const known = spec.fields.map((f) => f.key);
    return issue.keys
      .map((k) => {
        const hint = near(k, known);
        return `unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ''}; known keys: ${known.join(', ')}`;
      })
      .join('\n');
  }
  const field = spec.fields.find((f) => f.key === issue.path[0]);
  if (!field) return formatPlain(issue);
  const got = field.kind.secret || !('input' in issue) ? '' : issue.input === undefined ? ' (missing)' : `, got ${show(issue.input)}`;
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return `"${where(issue.path)}": ${message}${got}${field.flag ? ` (the file's form of --${field.flag})` : ''}`;
}

/**
 * Reads a JSON file a flag names and checks it against a schema; every problem is a UsageError
 * that starts with the flag and the file (`--pools pools.json: [2].kind: expected ...`).
 */
export function readJsonFile<T>(
  flag: string,
  file: string,
  schema: z.ZodType<T>,
  format: (issue: z.core.$ZodIssue) => string = formatPlain,
): T {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`error: ${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new UsageError(`error: ${flag} ${file}: not valid JSON (${(e as Error).message})`);
  }
  const r = schema.safeParse(json, { reportInput: true });
  if (r.success) return r.data;
  throw new UsageError(r.error.issues.map((i) => `error: ${flag} ${file}: ${format(i)}`).join('\n'));
}

function where(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('') || '(top level)';
}

function formatPlain(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `${where(issue.path)}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return `${where(issue.path)}: ${message}${!('input' in issue) ? '' : issue.input === undefined ? ' (missing)' : `, got ${show(issue.input)}`}`;
}

/** Reads and validates a config file against a spec. */
export function loadConfigFile(spec: CliSpec, file: string): Record<string, unknown> {
  return readJsonFile('--config', file, fileSchema(spec), (i) => formatIssue(spec, i));
}

/** Checks one flag or environment value (a string, a boolean, or a list of strings) against its field. */
function checkValue(f: Field, raw: unknown, source: string, errors: string[]): unknown {
  const one = (v: unknown): unknown => {
    const value = typeof v === 'string' ? f.kind.fromString(v) : v;
    const r = f.kind.schema.safeParse(value);
    if (r.success) return r.data;
    errors.push(`error: ${source}: expected ${f.kind.expected}${f.kind.secret ? ' (value not shown)' : `, got ${show(v)}`}`);
    return undefined;
  };
  return Array.isArray(raw) ? raw.map(one) : one(raw);
}

/**
 * Parses argv against a spec: flags, then the environment, then the --config file, then defaults.
 * Returns every key that has a value; throws HelpRequested (exit 0) or UsageError (exit 2).
 */
export function parseCommandLine(spec: CliSpec, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const { given } = parseFlags(spec, argv);
  const errors: string[] = [];
  const configFile = given.get('config') as string | undefined;
  const file = configFile !== undefined ? loadConfigFile(spec, configFile) : {};
  const result: Record<string, unknown> = {};
  for (const f of spec.fields) {
    if (f.default !== undefined) result[f.key] = f.default;
    if (file[f.key] !== undefined) result[f.key] = file[f.key];
    const envValue = f.env ? env[f.env] : undefined;
    if (f.env && envValue !== undefined && envValue !== '')
      result[f.key] = checkValue({ ...f, many: false }, envValue, `${f.env} (--${f.flag})`, errors);
    if (!f.flag) continue;
    const attr = camel(f.flag.replace(/^no-/, ''));
    if (!given.has(attr)) continue;
    const v = given.get(attr);
    // a boolean flag is its own value (--no-x gives false); others are checked strings
    result[f.key] = typeof v === 'boolean' ? v : checkValue(f, v, `--${f.flag}`, errors);
  }
  for (const f of spec.fields)
    if (f.required && result[f.key] === undefined && !errors.some((e) => e.includes(label(f))))
      errors.push(`error: ${label(f)} is required (a flag, or "${f.key}" in the --config file)`);
  if (errors.length) throw new UsageError(`${errors.join('\n')}\n(--help lists every flag and its default)`);
  return result;
}

/**
 * What a program's main does with an error from parsing: help/version to stdout (exit 0), usage
 * errors to stderr (exit 2). Returns false for anything else, which the caller handles.
 */
export function exitOnCliError(e: unknown): boolean {
  if (e instanceof HelpRequested) {
    process.stdout.write(e.message.endsWith('\n') ? e.message : `${e.message}\n`);
    process.exitCode = 0;
    return true;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`${e.message}\n`);
    process.exitCode = 2;
    return true;
  }
  return false;
}
