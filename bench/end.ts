/**
 * One end of a throughput benchmark, shared by every implementation: the implementation's
 * script (`bench/monocoque_end.ts` on `node`, `deno run -A` or `bun`; `bench/zeromq_end.ts` on
 * `node`) hands its socket classes to {@link runEnd}, which runs the protocol below with them.
 * The orchestrator `bench/run.ts` spawns the ends:
 *
 *     <end> <pattern> <mechanism> receiver <size> <count> <warmup>
 *     <end> <pattern> <mechanism> sender   <size> <count> <warmup> <endpoint>...
 *
 * Patterns: `dealer-router` (a Dealer sends to a Router, which answers on the same
 * connection) and `push-pull` (a Push sends to a Pull; a Pull cannot answer, so the receiver
 * also binds a Push of its own, always NULL, that carries the two answers back to a Pull in the
 * sender). Mechanisms: `null`, or `curve` on the connection that carries the measured
 * messages: the receiver binds as the CURVE server with the secret key in
 * `BENCH_CURVE_SERVER_SECRET_KEY`; the sender is its client, with the server's public key in
 * `BENCH_CURVE_SERVER_KEY` and its own pair in `BENCH_CURVE_PUBLIC_KEY` and
 * `BENCH_CURVE_SECRET_KEY` (all 40-character Z85 strings).
 *
 * The receiver binds to `tcp://127.0.0.1:0` and prints
 * `{"type":"ready","endpoints":[...]}`; the sender connects to those endpoints and sends
 * `warmup` messages of `size` bytes (not timed). Once the receiver has all of them it starts
 * its clock and answers "go"; the sender then sends `count` more, and the clock stops when the
 * receiver has the last one. It answers "done", so the sender knows everything arrived before
 * it closes. Both ends print one `{"type":"result",...}` line, close their sockets and exit by
 * themselves; the receiver also prints `{"type":"progress","received":n}` once a second, so a
 * stall shows how far it got. Every message received is checked: the pattern's number of
 * frames, and a payload of `size` bytes.
 *
 * Idiomatic use only: default options (high-water marks of 1000), one payload buffer reused,
 * `for (...) await socket.send(payload)` and `for await (const message of socket)`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";

/** Socket options the benchmark sets: the CURVE ones, named alike by monocoque and zeromq. */
interface SecurityOptions {
  curveServer?: boolean;
  curveSecretKey?: string;
  curvePublicKey?: string;
  curveServerKey?: string;
}

type Frames = Uint8Array[];

interface Closable {
  close(): void;
}

interface Binding extends Closable {
  bind(endpoint: string): Promise<void>;
  readonly lastEndpoint: string | null;
}

interface Connecting extends Closable {
  connect(endpoint: string): void;
}

/** The socket classes of an implementation, as far as the benchmark uses them. */
export interface Library {
  Dealer: new (options?: SecurityOptions) => Connecting & {
    send(message: Uint8Array): Promise<void>;
    receive(): Promise<Frames>;
  };
  Router: new (options?: SecurityOptions) => Binding & AsyncIterable<Frames> & {
    send(message: (Uint8Array | string)[]): Promise<void>;
  };
  Push: new (options?: SecurityOptions) => Binding & Connecting & {
    send(message: Uint8Array | string): Promise<void>;
  };
  Pull: new (options?: SecurityOptions) => Binding & Connecting & AsyncIterable<Frames> & {
    receive(): Promise<Frames>;
  };
}

/** The receiver's sockets: where the measured messages come in, and the way back. */
interface ReceiverSide extends Closable {
  readonly endpoints: string[];
  readonly messages: AsyncIterable<Frames>;
  /** Frames per measured message; the payload is the last. */
  readonly frames: number;
  /** Sends a short text back to the sender of `message`. */
  answer(message: Frames, text: string): Promise<void>;
}

/** The sender's sockets: where the measured messages go out, and the way back. */
interface SenderSide extends Closable {
  readonly socket: { send(payload: Uint8Array): Promise<void> };
  answer(): Promise<Frames>;
}

interface Pattern {
  receiver(library: Library, security: SecurityOptions): Promise<ReceiverSide>;
  sender(library: Library, security: SecurityOptions, endpoints: string[]): SenderSide;
}

const ANY_PORT = "tcp://127.0.0.1:0";

async function bound<S extends Binding>(socket: S): Promise<S & { lastEndpoint: string }> {
  await socket.bind(ANY_PORT);
  if (socket.lastEndpoint === null) throw new Error("bound, but no lastEndpoint");
  return socket as S & { lastEndpoint: string };
}

const PATTERNS: Record<string, Pattern> = {
  "dealer-router": {
    async receiver(library, security) {
      const router = await bound(new library.Router(security));
      return {
        endpoints: [router.lastEndpoint],
        messages: router,
        frames: 2,
        answer: (message, text) => router.send([message[0], text]),
        close: () => router.close(),
      };
    },
    sender(library, security, [endpoint]) {
      const dealer = new library.Dealer(security);
      dealer.connect(endpoint);
      return { socket: dealer, answer: () => dealer.receive(), close: () => dealer.close() };
    },
  },
  "push-pull": {
    async receiver(library, security) {
      const pull = await bound(new library.Pull(security));
      const back = await bound(new library.Push());
      return {
        endpoints: [pull.lastEndpoint, back.lastEndpoint],
        messages: pull,
        frames: 1,
        answer: (_message, text) => back.send(text),
        close() {
          pull.close();
          back.close();
        },
      };
    },
    sender(library, security, [endpoint, backEndpoint]) {
      const back = new library.Pull();
      back.connect(backEndpoint);
      const push = new library.Push(security);
      push.connect(endpoint);
      return {
        socket: push,
        answer: () => back.receive(),
        close() {
          push.close();
          back.close();
        },
      };
    },
  },
};

const MECHANISMS = ["null", "curve"];

function usage(script: string, message: string): never {
  console.error(`${script}: ${message}`);
  console.error(
    `usage: ${script} <${Object.keys(PATTERNS).join("|")}> <${MECHANISMS.join("|")}>` +
      " receiver <size> <count> <warmup> | sender <size> <count> <warmup> <endpoint>...",
  );
  process.exit(2);
}

/** Runtime name and version, read without runtime-specific types. */
function runtime(): { runtime: string; version: string } {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno !== undefined) return { runtime: "deno", version: g.Deno.version.deno };
  if (g.Bun !== undefined) return { runtime: "bun", version: g.Bun.version };
  return { runtime: "node", version: process.versions.node };
}

/** Peak and current resident set size in KiB, from /proc (Linux; works on all three runtimes). */
function memory(): { peakRssKiB: number | null; rssKiB: number | null } {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const field = (name: string): number | null => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
      return match === null ? null : Number(match[1]);
    };
    return { peakRssKiB: field("VmHWM"), rssKiB: field("VmRSS") };
  } catch {
    return { peakRssKiB: null, rssKiB: null };
  }
}

function emit(line: Record<string, unknown>): void {
  console.log(JSON.stringify(line));
}

async function expectAnswer(side: SenderSide, expected: string): Promise<void> {
  const [frame] = await side.answer();
  const text = frame === undefined ? "<none>" : new TextDecoder().decode(frame);
  if (text !== expected) throw new Error(`expected "${expected}", got "${text}"`);
}

interface Run {
  readonly size: number;
  readonly count: number;
  readonly warmup: number;
}

async function receiver(side: ReceiverSide, { size, count, warmup }: Run): Promise<void> {
  const total = warmup + count;
  let received = 0;
  let start = 0;
  let end = 0;
  const progress = setInterval(
    () => emit({ type: "progress", received, rssKiB: memory().rssKiB }),
    1000,
  );
  try {
    for await (const message of side.messages) {
      const payload = message[side.frames - 1];
      if (message.length !== side.frames || payload.length !== size) {
        throw new Error(
          `message ${received + 1}: expected ${side.frames} frame(s), the last of ${size} bytes;` +
            ` got ${message.length} frame(s), the last of ${message.at(-1)?.length} bytes`,
        );
      }
      received++;
      if (received === warmup) {
        start = performance.now();
        await side.answer(message, "go");
      } else if (received === total) {
        end = performance.now();
        await side.answer(message, "done");
        break;
      }
    }
  } finally {
    clearInterval(progress);
  }
  if (received !== total) throw new Error(`the socket closed after ${received} of ${total}`);
  const seconds = (end - start) / 1000;
  emit({
    type: "result",
    role: "receiver",
    size,
    count,
    warmup,
    seconds,
    messagesPerSecond: count / seconds,
    megabytesPerSecond: (count * size) / seconds / 1e6,
    ...memory(),
  });
  side.close();
}

async function sender(side: SenderSide, { size, count, warmup }: Run): Promise<void> {
  const socket = side.socket;
  const payload = new Uint8Array(size);

  for (let i = 0; i < warmup; i++) await socket.send(payload);
  await expectAnswer(side, "go");

  const start = performance.now();
  for (let i = 0; i < count; i++) await socket.send(payload);
  const sendSeconds = (performance.now() - start) / 1000;

  await expectAnswer(side, "done");
  emit({ type: "result", role: "sender", size, count, warmup, sendSeconds, ...memory() });
  side.close();
}

function environmentKey(name: string, script: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") usage(script, `CURVE needs ${name} in the environment`);
  return value;
}

/**
 * Runs one end with the given implementation, as the command line says.
 *
 * @param script the implementation's script name, for messages
 * @param library its socket classes
 * @param about extra fields for the "ready" line (such as the libzmq version)
 */
export async function runEnd(
  script: string,
  library: Library,
  about: Record<string, unknown> = {},
): Promise<void> {
  const [patternName, mechanism, role, sizeText, countText, warmupText, ...endpoints] = process
    .argv.slice(2);
  const pattern = PATTERNS[patternName];
  if (pattern === undefined) usage(script, `unknown pattern "${patternName}"`);
  if (!MECHANISMS.includes(mechanism)) usage(script, `unknown mechanism "${mechanism}"`);
  if (role !== "receiver" && role !== "sender") usage(script, `unknown role "${role}"`);
  const integer = (name: string, text: string | undefined, min: number): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      usage(script, `${name} must be an integer >= ${min}`);
    }
    return value;
  };
  const run = {
    size: integer("size", sizeText, 0),
    count: integer("count", countText, 1),
    warmup: integer("warmup", warmupText, 1),
  };
  const curve = mechanism === "curve";
  if (role === "sender") {
    if (endpoints.length === 0) usage(script, "the sender needs the receiver's endpoints");
    const security = curve
      ? {
        curveServerKey: environmentKey("BENCH_CURVE_SERVER_KEY", script),
        curvePublicKey: environmentKey("BENCH_CURVE_PUBLIC_KEY", script),
        curveSecretKey: environmentKey("BENCH_CURVE_SECRET_KEY", script),
      }
      : {};
    await sender(pattern.sender(library, security, endpoints), run);
  } else {
    const security = curve
      ? {
        curveServer: true,
        curveSecretKey: environmentKey("BENCH_CURVE_SERVER_SECRET_KEY", script),
      }
      : {};
    const side = await pattern.receiver(library, security);
    emit({ type: "ready", endpoints: side.endpoints, ...runtime(), ...about });
    await receiver(side, run);
  }
}
