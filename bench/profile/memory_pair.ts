/**
 * Push → Pull with both sockets in one process, over an in-memory byte
 * stream registered for `ipc://` endpoints: the full ZMTP path (encode,
 * batch, decode, pipes, the idiomatic send and for-await loops) without the
 * kernel, so the CPU cost per message of the library alone can be compared
 * A/B with little noise. Runs on node, `deno run -A` and bun:
 *
 *     node bench/profile/memory_pair.ts pushpull [size=8] [count=2000000] [path/to/mod.ts]
 *     node bench/profile/memory_pair.ts inproc   [size=8] [count=2000000] [path/to/mod.ts]
 *     node bench/profile/memory_pair.ts reqrep   [size=8] [count=100000]  [path/to/mod.ts]
 *
 * Push → Pull prints {"msgs","seconds","nsPerMsg","cpuNsPerMsg"}, Request/Reply
 * (one request in flight) {"rounds","meanUs","cpuUs"} (the CPU time moves less than wall time
 * when other work shares the machine); add `--cpu-prof` to profile both ends at once.
 *
 * @module
 */
import type { Connection, ConnectionHandler, Transport } from "../../core/transport.ts";
import { registerTransport } from "../../core/transport_registry.ts";
import { receiveCounted, roundTrips } from "./loops.ts";

const [modeText, sizeText, countText, modPath] = process.argv.slice(2);
const mode = modeText ?? "pushpull";
const size = Number(sizeText ?? 8);
const count = Number(countText ?? (mode === "reqrep" ? 100_000 : 2_000_000));
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

if (mode === "reqrep") {
  const rep = new zmq.Reply();
  await rep.bind("ipc:///memory/pair");
  const req = new zmq.Request();
  req.connect("ipc:///memory/pair");
  const payload = new Uint8Array(size);
  void (async () => {
    for await (const message of rep) await rep.send(message);
  })();
  const { meanUs, cpuUs } = await roundTrips(req, payload, count);
  console.log(JSON.stringify({ rounds: count, meanUs, cpuUs }));
  req.close();
  rep.close();
} else {
  const pull = new zmq.Pull();
  // `inproc`: the same loops over the socket-level inproc transport (no ZMTP at all), to compare.
  const address = mode === "inproc" ? "inproc://memory-pair" : "ipc:///memory/pair";
  await pull.bind(address);
  const push = new zmq.Push();
  push.connect(address);
  const payload = new Uint8Array(size);
  const sending = (async () => {
    for (let i = 0; i < count; i++) await push.send(payload);
  })();
  const { seconds, cpuSeconds } = await receiveCounted(pull, count);
  await sending;
  console.log(JSON.stringify({
    msgs: count,
    seconds,
    nsPerMsg: Math.round(seconds / count * 1e9),
    cpuNsPerMsg: Math.round(cpuSeconds / count * 1e9),
  }));
  push.close();
  pull.close();
}
