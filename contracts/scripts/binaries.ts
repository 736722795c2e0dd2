// Paths of the Foundry binaries that npm installs as optional platform packages. We run the
// binaries directly (not the `npx anvil` Node wrapper) so that one PID owns the process.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function platformBinary(tool: 'anvil' | 'forge'): string {
  const platform = `${process.platform === 'darwin' ? 'darwin' : 'linux'}-${process.arch === 'arm64' ? 'arm64' : 'amd64'}`;
  const pkg = `@foundry-rs/${tool}-${platform}`;
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed: run npm install (it is an optional dependency of @foundry-rs/${tool})`);
  }
  const bin = join(dir, 'bin', tool);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: reinstall @foundry-rs/${tool}`);
  return bin;
}

export const anvilBinary = (): string => platformBinary('anvil');
export const forgeBinary = (): string => platformBinary('forge');
