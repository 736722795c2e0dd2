// Start a node: node node/cli.ts --chain-id 31337 --settlement 0x… --data-dir ./data [--config node.json] …
// Prints (pino, one JSON line each) where libp2p and the HTTP API listen and the peer id.
// `--help` lists every flag and its default (node/config.ts declares them); usage errors exit 2.
import { exitOnCliError } from './cli/program.ts';
import { type NodeConfig, parseCli } from './config.ts';
import { createLogger } from './log.ts';
import { IntentNode } from './node.ts';

async function main(): Promise<void> {
  let config: NodeConfig;
  try {
    config = parseCli(process.argv.slice(2));
  } catch (err) {
    if (exitOnCliError(err)) return;
    throw err;
  }
  const log = createLogger({ level: config.logLevel, name: 'node' });
  // The node builds and runs its auction clock and, with --rpc-url, its chain watcher.
  const node = new IntentNode(config, { log });
  await node.start();
  // The ready line (peer id, addresses) is printed whatever the configured level (unless silent).
  const banner = config.logLevel === 'silent' ? log : log.child({}, { level: 'info' });
  banner.info(
    {
      event: 'ready',
      peerId: node.peerId,
      listen: node.multiaddrs,
      api: node.apiUrl,
      chainId: config.chainId,
      settlement: config.settlement,
      dataDir: config.dataDir,
    },
    `node ${node.peerId} ready`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'shutdown', signal });
    node.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ event: 'shutdown_failed', err: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: Error) => {
  process.stderr.write(`fatal: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
