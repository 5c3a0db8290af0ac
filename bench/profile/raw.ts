/**
 * Raw floors for bench/NOTES.md: the runtime's tcp transport (our adapter,
 * no ZMTP) with a 4-byte length prefix. Runs on node, `deno run -A` and bun.
 *
 *     raw.ts echo  <endpoint> <size>           binds; echoes each framed message; prints "ready"
 *     raw.ts ping  <endpoint> <size> <count>   one message in flight; prints {"rounds","meanUs","cpuUs"}
 *     raw.ts sink  <endpoint> <size> <count>   binds; prints {"msgs","seconds"} once count arrived
 *     raw.ts blast <endpoint> <size> <count>   writes count framed messages, one write per turn
 *
 * @module
 */
import { registerRuntimeTransports } from "../../adapters/auto.ts";
import { parseEndpoint } from "../../core/endpoint.ts";
import { resolveTransport } from "../../core/transport_registry.ts";
import type { Connection } from "../../core/transport.ts";

const [mode, address, sizeText, countText] = process.argv.slice(2);
const size = Number(sizeText);
const count = Number(countText ?? 0);
await registerRuntimeTransports();
const endpoint = parseEndpoint(address);
const transport = await resolveTransport(endpoint);

/** Splits the byte stream into length-prefixed messages; a message spanning reads is joined once. */
function framer(onMessage: (body: Uint8Array) => void): (chunk: Uint8Array) => void {
  let pieces: Uint8Array[] = [];
  let buffered = 0;
  let needed = 4;
  return (chunk) => {
    pieces.push(chunk);
    buffered += chunk.length;
    if (buffered < needed) return;
    let bytes = pieces.length === 1 ? chunk : new Uint8Array(buffered);
    if (pieces.length > 1) {
      let at = 0;
      for (const piece of pieces) {
        bytes.set(piece, at);
        at += piece.length;
      }
    }
    let at = 0;
    while (bytes.length - at >= 4) {
      const length = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
      if (bytes.length - at - 4 < length) {
        needed = 4 + length;
        break;
      }
      onMessage(bytes.subarray(at + 4, at + 4 + length));
      at += 4 + length;
      needed = 4;
    }
    bytes = bytes.subarray(at);
    pieces = bytes.length > 0 ? [bytes] : [];
    buffered = bytes.length;
  };
}

function framed(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

const message = framed(new Uint8Array(size));

if (mode === "echo" || mode === "sink") {
  let received = 0;
  let start = 0;
  await transport.listen(endpoint, (connection: Connection) => ({
    data: framer((body) => {
      if (mode === "echo") return void connection.write(framed(body));
      if (received === 0) start = performance.now();
      if (++received === count) {
        console.log(JSON.stringify({ msgs: count, seconds: (performance.now() - start) / 1000 }));
        process.exit(0);
      }
    }),
    drain: () => {},
    closed: () => {},
  }));
  console.log("ready");
} else if (mode === "ping") {
  const warmup = Math.floor(count / 10);
  let rounds = 0;
  let start = 0;
  let cpu = process.cpuUsage();
  let connection!: Connection;
  const done = new Promise<void>((resolve) => {
    transport.connect(endpoint, (c: Connection) => {
      connection = c;
      return {
        data: framer(() => {
          rounds++;
          if (rounds === warmup) {
            start = performance.now();
            cpu = process.cpuUsage();
          }
          if (rounds === count + warmup) return resolve();
          connection.write(message);
        }),
        drain: () => {},
        closed: () => {},
      };
    }).then(() => connection.write(message));
  });
  await done;
  const used = process.cpuUsage(cpu);
  const meanUs = (performance.now() - start) * 1000 / count;
  console.log(JSON.stringify({ rounds: count, meanUs, cpuUs: (used.user + used.system) / count }));
  connection.destroy();
} else if (mode === "blast") {
  // As a message library would: everything sent in one turn goes out in one write.
  const perTurn = 4096;
  let connection!: Connection;
  let waitDrain: (() => void) | undefined;
  await transport.connect(endpoint, (c: Connection) => {
    connection = c;
    return { data: () => {}, drain: () => waitDrain?.(), closed: () => {} };
  });
  for (let sent = 0; sent < count;) {
    const n = Math.min(perTurn, count - sent);
    const batch = new Uint8Array(n * message.length);
    for (let i = 0; i < n; i++) batch.set(message, i * message.length);
    sent += n;
    if (!connection.write(batch)) await new Promise<void>((resolve) => (waitDrain = resolve));
    else await new Promise((resolve) => setImmediate(resolve));
  }
  connection.close();
}
