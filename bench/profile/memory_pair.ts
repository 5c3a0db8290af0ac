/**
 * Push → Pull with both sockets in one process, over an in-memory byte
 * stream registered for `ipc://` endpoints: the full ZMTP path (encode,
 * batch, decode, pipes, the idiomatic send and for-await loops) without the
 * kernel, so the CPU cost per message of the library alone can be compared
 * A/B with little noise. Runs on node, `deno run -A` and bun:
 *
 *     node bench/profile/memory_pair.ts [size=8] [count=2000000] [path/to/mod.ts]
 *
 * Prints {"msgs","seconds","nsPerMsg"}; add `--cpu-prof` to profile both ends at once.
 *
 * @module
 */
import type { Connection, ConnectionHandler, Transport } from "../../core/transport.ts";
import { registerTransport } from "../../core/transport_registry.ts";

const [sizeText, countText, modPath] = process.argv.slice(2);
const size = Number(sizeText ?? 8);
const count = Number(countText ?? 2_000_000);
// deno-lint-ignore no-explicit-any
const zmq: any = await import(modPath ?? "../../mod.ts");
if (modPath !== undefined) {
  const registry = await import(modPath.replace(/mod\.ts$/, "core/transport_registry.ts"));
  registry.registerTransport("ipc", memoryTransport());
} else {
  registerTransport("ipc", memoryTransport());
}

/** One direction of the in-memory stream: chunks arrive on a later turn, as reads do. */
class MemoryEnd implements Connection {
  readonly remoteAddress = "memory";
  peer!: MemoryEnd;
  handler!: ConnectionHandler;
  #queue: Uint8Array[] = [];
  #scheduled = false;
  #paused = false;

  write(chunk: Uint8Array): boolean {
    this.peer.#queue.push(chunk);
    this.peer.#schedule();
    return true;
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    this.#paused = false;
    this.#schedule();
  }
  close(): void {}
  destroy(): void {}
  #schedule(): void {
    if (this.#scheduled || this.#paused) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      while (!this.#paused && this.#queue.length > 0) this.handler.data(this.#queue.shift()!);
    });
  }
}

function memoryTransport(): Transport {
  const listeners = new Map<string, (connection: Connection) => ConnectionHandler>();
  return {
    listen(endpoint, accept) {
      const address = `ipc://${(endpoint as { path: string }).path}`;
      listeners.set(address, accept);
      return Promise.resolve({ address, close: () => Promise.resolve() });
    },
    connect(endpoint, accept) {
      const address = `ipc://${(endpoint as { path: string }).path}`;
      const a = new MemoryEnd();
      const b = new MemoryEnd();
      a.peer = b;
      b.peer = a;
      b.handler = listeners.get(address)!(b);
      a.handler = accept(a);
      return Promise.resolve(a);
    },
  } as Transport;
}

const pull = new zmq.Pull();
await pull.bind("ipc:///memory/pair");
const push = new zmq.Push();
push.connect("ipc:///memory/pair");
const payload = new Uint8Array(size);
const sending = (async () => {
  for (let i = 0; i < count; i++) await push.send(payload);
})();
let received = 0;
let start = 0;
for await (const _message of pull) {
  if (received === 0) start = performance.now();
  if (++received === count) break;
}
const seconds = (performance.now() - start) / 1000;
await sending;
console.log(JSON.stringify({ msgs: count, seconds, nsPerMsg: Math.round(seconds / count * 1e9) }));
push.close();
pull.close();
