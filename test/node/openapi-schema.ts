// Checks JSON values against the schemas of node/openapi.json: the subset of JSON Schema 2020-12
// the document uses (type, const, enum, pattern, date-time, properties / required /
// additionalProperties, items, maxItems, oneOf, $ref). A keyword it does not know is an error, so
// a constraint added to the document is never silently skipped. It also records which declared
// properties some checked value carried (`unseen`), so a test can tell a property the document
// declares but no response (or typed sample) ever has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Schema = { [k: string]: unknown };
export type OpenApiDoc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
};

export const OPENAPI: OpenApiDoc = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'node', 'openapi.json'), 'utf8'),
) as OpenApiDoc;

const ANNOTATIONS = new Set(['description', 'default', 'format', 'title']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  '$ref',
  'type',
  'const',
  'enum',
  'pattern',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'maxItems',
  'oneOf',
  'minimum',
  'maximum',
]);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

type Seen = Map<Schema, Set<string>>;

function merge(into: Seen, from: Seen): void {
  for (const [s, keys] of from) {
    let here = into.get(s);
    if (!here) {
      here = new Set();
      into.set(s, here);
    }
    for (const k of keys) here.add(k);
  }
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

export class SchemaChecker {
  private readonly doc: OpenApiDoc;
  /** Per object schema, the declared properties some checked value carried. */
  private readonly seen: Seen = new Map();

  constructor(doc: OpenApiDoc = OPENAPI) {
    this.doc = doc;
  }

  /** The component schema `name`. */
  component(name: string): Schema {
    const s = this.doc.components.schemas[name];
    if (!s) throw new Error(`no schema ${name} in openapi.json`);
    return s;
  }

  /** The response schema the document declares for `method path` answering `status`. */
  response(method: string, path: string, status: number): Schema {
    const template = Object.keys(this.doc.paths).find((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
    if (!template) throw new Error(`openapi.json has no path for ${path}`);
    const op = this.doc.paths[template]![method.toLowerCase()];
    if (!op) throw new Error(`openapi.json has no ${method} ${template}`);
    const res = op.responses[String(status)];
    if (!res) throw new Error(`openapi.json documents no ${status} for ${method} ${template}`);
    const schema = res.content?.['application/json']?.schema;
    if (!schema) throw new Error(`openapi.json has no JSON schema for ${status} of ${method} ${template}`);
    return schema;
  }

  /** Errors of `value` against `schema` (empty when it conforms). */
  check(schema: Schema, value: unknown, at = '$'): string[] {
    const errors: string[] = [];
    const seen: Seen = new Map();
    this.walk(schema, value, at, errors, seen);
    if (errors.length === 0) merge(this.seen, seen);
    return errors;
  }

  /** Object-schema properties the document declares that no checked value carried, as `Schema.property`. */
  unseen(): string[] {
    const out: string[] = [];
    const visited = new Set<Schema>();
    const visit = (s: Schema, where: string): void => {
      if (visited.has(s)) return;
      visited.add(s);
      const props = s.properties as Record<string, Schema> | undefined;
      if (props) {
        const seen = this.seen.get(s) ?? new Set();
        for (const [k, p] of Object.entries(props)) {
          if (!seen.has(k)) out.push(`${where}.${k}`);
          visit(p, `${where}.${k}`);
        }
      }
      if (s.items) visit(s.items as Schema, `${where}[]`);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') visit(s.additionalProperties as Schema, `${where}{}`);
      (s.oneOf as Schema[] | undefined)?.forEach((o, i) => {
        visit(o, `${where}|${i}`);
      });
    };
    for (const [name, s] of Object.entries(this.doc.components.schemas)) visit(s, name);
    return out;
  }

  private walk(s: Schema, v: unknown, at: string, errors: string[], seen: Seen): void {
    for (const k of Object.keys(s)) if (!KNOWN.has(k)) errors.push(`${at}: schema keyword ${k} is not supported by this checker`);
    if (typeof s.$ref === 'string') {
      const name = /^#\/components\/schemas\/([A-Za-z0-9]+)$/.exec(s.$ref)?.[1];
      if (!name) {
        errors.push(`${at}: unsupported $ref ${s.$ref}`);
        return;
      }
      this.walk(this.component(name), v, at, errors, seen);
      return;
    }
    if (s.oneOf) {
      // Only the branch that matched counts towards coverage.
      const branches = (s.oneOf as Schema[]).map((o) => {
        const e: string[] = [];
        const m: Seen = new Map();
        this.walk(o, v, at, e, m);
        return { e, m };
      });
      const ok = branches.filter((b) => b.e.length === 0);
      if (ok.length !== 1)
        errors.push(
          `${at}: matches ${ok.length} of ${branches.length} oneOf branches (${branches.map((b) => b.e[0] ?? 'ok').join(' / ')})`,
        );
      else merge(seen, ok[0]!.m);
      return;
    }
    const t = typeOf(v);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((x) => x === t || (x === 'number' && t === 'integer')))
        return void errors.push(`${at}: ${t} is not ${types.join('|')}`);
    }
    if ('const' in s && v !== s.const) errors.push(`${at}: ${JSON.stringify(v)} is not ${JSON.stringify(s.const)}`);
    if (s.enum && !(s.enum as unknown[]).includes(v)) errors.push(`${at}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
    if (typeof v === 'string') {
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern).test(v))
        errors.push(`${at}: ${JSON.stringify(v)} does not match ${s.pattern}`);
      if (s.format === 'date-time' && (!ISO_TIME.test(v) || Number.isNaN(Date.parse(v))))
        errors.push(`${at}: ${v} is not an ISO 8601 UTC time`);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) errors.push(`${at}: ${v} < ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) errors.push(`${at}: ${v} > ${s.maximum}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) errors.push(`${at}: ${v.length} items > ${s.maxItems}`);
      if (s.items)
        v.forEach((x, i) => {
          this.walk(s.items as Schema, x, `${at}[${i}]`, errors, seen);
        });
    }
    if (t === 'object') {
      const o = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const r of (s.required ?? []) as string[]) if (!(r in o)) errors.push(`${at}: missing ${r}`);
      let here = seen.get(s);
      if (!here) {
        here = new Set();
        seen.set(s, here);
      }
      for (const [k, x] of Object.entries(o)) {
        const p = props[k];
        if (p) {
          here.add(k);
          this.walk(p, x, `${at}.${k}`, errors, seen);
        } else if (s.additionalProperties === false) errors.push(`${at}: ${k} is not in the schema`);
        else if (s.additionalProperties && typeof s.additionalProperties === 'object')
          this.walk(s.additionalProperties as Schema, x, `${at}.${k}`, errors, seen);
      }
    }
  }
}
