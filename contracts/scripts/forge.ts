// Runs the forge binary shipped in the npm package @foundry-rs/forge, always offline and with the
// npm-backed solc wrapper, from the contracts/ folder. Usage: node contracts/scripts/forge.ts <forge args…>
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgeBinary } from './binaries.ts';

const contractsDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export function runForge(args: readonly string[]): number {
  const [command, ...rest] = args;
  if (command === undefined) throw new Error('runForge: a forge command is required');
  const compiles = ['build', 'test', 'snapshot', 'coverage', 'inspect'].includes(command);
  const full = compiles ? [command, '--use', join(contractsDir, 'scripts', 'solc.cjs'), '--offline', ...rest] : [...args];
  const result = spawnSync(forgeBinary(), full, { cwd: contractsDir, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exit(runForge(process.argv.slice(2)));
}
