// The layer rules of solver/ (solver/README.md): domain/ imports only domain/ and protocol/;
// infra/ never imports driver/ or the CLI; no module imports the CLI; and no import cycles,
// type-only imports included.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = normalize(join(import.meta.dirname, '../..'));
const importRe = /(?:import|export)\s[^;]*?\sfrom\s+['"](\.{1,2}\/[^'"]+)['"]|import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Module (repository-relative path) -> the repository-relative paths it imports. */
const graph = new Map(
  sources('solver').map((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const deps = [...text.matchAll(importRe)].map((m) => relative(root, join(root, dirname(file), (m[1] ?? m[2])!)));
    return [file, deps] as const;
  }),
);

const layer = (path: string): string => (path.startsWith('solver/') ? (path.split('/')[1]!.endsWith('.ts') ? 'cli' : path.split('/')[1]!) : path.split('/')[0]!);

describe('solver layers', () => {
  it('domain/ imports only domain/ and protocol/; infra/ never driver/; nothing imports the CLI', () => {
    const allowed: Record<string, string[]> = { domain: ['domain', 'protocol'], infra: ['domain', 'infra', 'protocol', 'contracts'], driver: ['domain', 'infra', 'driver', 'protocol', 'contracts'], cli: ['domain', 'infra', 'driver', 'protocol', 'contracts'] };
    const violations = [...graph].flatMap(([file, deps]) => deps.filter((d) => !allowed[layer(file)]!.includes(layer(d))).map((d) => `${file} -> ${d}`));
    expect(violations).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const d of graph.get(file) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
        else if (!state.has(d) && graph.has(d)) visit(d);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});
