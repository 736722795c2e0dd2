// Persistent libp2p identity: an Ed25519 key kept in `<dataDir>/peer.key` (protobuf form, mode 0600).
// Written atomically (temp file + fsync + rename) so a crash during first start never leaves half a key.
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export async function loadOrCreatePeerKey(dataDir: string): Promise<{ key: PrivateKey; created: boolean }> {
  const file = join(dataDir, 'peer.key');
  try {
    const bytes = await readFile(file);
    // @libp2p/crypto 5.1.23 types its keys with @libp2p/interface 3; libp2p 2.9 takes the same objects typed by interface 2.
    return { key: privateKeyFromProtobuf(bytes) as unknown as PrivateKey, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const key = (await generateKeyPair('Ed25519')) as unknown as PrivateKey;
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(privateKeyToProtobuf(key as unknown as Parameters<typeof privateKeyToProtobuf>[0]));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  return { key, created: true };
}
