// bench:gossip's floor (BENCH_FLOOR=1): the node's own libp2p host (createHost: TCP, noise, yamux,
// write coalescing, gossipsub with the node's parameters and scoring, libp2p's Prometheus metrics)
// with no application on top. A message is accepted the moment gossipsub hands it over: no decode,
// no signature recovery, no pool, no fsync, no fair queue. The same signed intent bytes travel, so
// what this measures per intent is what the transport and gossipsub alone cost, the part of a
// node's CPU that validation and storage changes cannot reach.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { type PrivateKey, TopicValidatorResult } from '@libp2p/interface';
import { hash } from 'node:crypto';
import { Registry } from 'prom-client';
import type { Hex } from 'viem';
import { encodeSignedIntent } from '../../protocol/codec.ts';
import type { SignedIntent } from '../../protocol/intent.ts';
import { intentsTopic } from '../../protocol/topics.ts';
import { createHost, type Host } from '../../node/gossip/host.ts';
import { silentLogger } from '../../node/log.ts';
import { hexId } from '../../node/verify/fast-hash.ts';

export type FloorOptions = {
  chainId: number;
  bootstrap: string[];
  meshDegree: number;
  coalesceWrites: boolean;
  idontwantMinBytes?: number;
  /** Called once per message id, at the first copy (gossipsub drops the others before this). */
  onArrival: (id: Hex) => void;
};

export class FloorNode {
  readonly intentsTopic: string;
  readonly pool = { size: 0 };
  private readonly opts: FloorOptions;
  private started?: Host;

  constructor(opts: FloorOptions) {
    this.opts = opts;
    this.intentsTopic = intentsTopic(opts.chainId);
  }

  get host(): Host {
    if (!this.started) throw new Error('floor node not started');
    return this.started;
  }

  get peerId(): string {
    return this.host.libp2p.peerId.toString();
  }

  get multiaddrs(): string[] {
    return this.host.libp2p.getMultiaddrs().map((a) => a.toString());
  }

  async start(): Promise<void> {
    const host = await createHost({
      privateKey: (await generateKeyPair('Ed25519')) as unknown as PrivateKey,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: this.opts.bootstrap,
      topics: [this.intentsTopic],
      ipColocationPenalty: false,
      maxMessageBytes: 4 << 20,
      registry: new Registry(),
      meshDegree: this.opts.meshDegree,
      coalesceWrites: this.opts.coalesceWrites,
      ...(this.opts.idontwantMinBytes === undefined ? {} : { idontwantMinBytes: this.opts.idontwantMinBytes }),
      log: silentLogger(),
    });
    host.pubsub.addEventListener('gossipsub:message', (evt) => {
      const { msgId, propagationSource } = evt.detail;
      host.pubsub.reportMessageValidationResult(msgId, propagationSource.toString(), TopicValidatorResult.Accept);
      this.opts.onArrival(msgId as Hex);
    });
    this.started = host;
  }

  /** Publishes the intent's wire bytes; the id is the gossip message id (sha256 of the bytes). */
  async submit(signed: SignedIntent): Promise<{ verdict: 'accept'; digest: Hex }> {
    const bytes = encodeSignedIntent(signed);
    await this.host.pubsub.publish(this.intentsTopic, bytes);
    return { verdict: 'accept', digest: hexId(hash('sha256', bytes, 'buffer') as unknown as Uint8Array) };
  }

  async stop(): Promise<void> {
    await this.started?.stop();
  }
}
