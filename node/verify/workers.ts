// Worker-parallel signature recovery: a small pool of worker threads running native
// libsecp256k1 (or @noble/curves) recovery. Requests are micro-batched: everything queued in one
// turn of the event loop goes out as one flat buffer per worker, so postMessage costs little per
// intent. In-flight work is bounded by the node's validation queue.
import { Worker } from 'node:worker_threads';
import type { Address } from 'viem';
import type { ProtocolError, Result } from '../../protocol/result.ts';
import type { RecoverBatch, RecoverReply } from './worker.ts';

type Pending = { resolve: (r: Result<Address>) => void; reject: (e: unknown) => void };

export class WorkerVerifier {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private queue: { id: number; digest: Uint8Array; sig: Uint8Array }[] = [];
  private scheduled = false;
  private nextId = 1;

  constructor(size: number) {
    for (let k = 0; k < size; k++) {
      const w = new Worker(new URL('./worker.ts', import.meta.url));
      w.unref();
      this.load[k] = 0;
      w.on('message', (reply: RecoverReply) => {
        this.load[k]! -= reply.ids.length;
        reply.ids.forEach((id, j) => {
          const p = this.pending.get(id);
          this.pending.delete(id);
          p?.resolve(reply.results[j] as Result<Address>);
        });
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Recovers the signer of a 65-byte signature over a 32-byte digest (strict parse, like recoverSigner). */
  recover(digest: Uint8Array, sig: Uint8Array): Promise<Result<Address>> {
    if (digest.length !== 32 || sig.length !== 65) {
      const error: ProtocolError = { code: 'malformed', field: 'signature', reason: `expected a 32-byte digest and a 65-byte signature` };
      return Promise.resolve({ ok: false, error });
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, digest, sig });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.dispatch());
      }
    });
  }

  private dispatch(): void {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    const n = this.workers.length;
    const order = [...this.load.keys()].sort((a, b) => this.load[a]! - this.load[b]!);
    const per = Math.ceil(q.length / n);
    for (let i = 0; i < n; i++) {
      const part = q.splice(0, per);
      if (part.length === 0) break;
      const k = order[i]!;
      const data = new Uint8Array(part.length * 97);
      part.forEach((r, j) => {
        data.set(r.digest, j * 97);
        data.set(r.sig, j * 97 + 32);
      });
      this.load[k]! += part.length;
      this.workers[k]!.postMessage({ ids: part.map((r) => r.id), data } satisfies RecoverBatch, [data.buffer]);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
