/**
 * One end of one soak pattern, run as its own process on the runtime under
 * test (`node`, `deno run -A` or `bun`) by `soak/run.ts`. Its configuration
 * comes as JSON in the `SOAK_CONFIG` environment variable (see
 * {@link WorkerConfig}); it talks to the orchestrator in JSON lines: it prints
 * `ready` (with the endpoint it bound), `stats` every second, `error` for
 * anything unexpected and `final` before it exits; it reads `stop` on stdin,
 * upon which a sender stops sending (an echo client first waits a while for
 * its outstanding replies) and every end prints `final` and exits.
 *
 * @module
 */

import process from "node:process";
import {
  Dealer,
  Pair,
  Proxy,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  type Socket,
  type SocketEventType,
  Subscriber,
  XPublisher,
  XSubscriber,
} from "../mod.ts";
import { decodeMessage, encodeMessage, OTHER_TOPIC, Tally, TOPIC } from "./message.ts";

/** The roles a worker can play. */
export type Role =
  | "reply"
  | "lazy-client"
  | "router"
  | "dealer"
  | "pair-echo"
  | "pair-client"
  | "push"
  | "pull"
  | "pub"
  | "sub"
  | "proxy";

/** CURVE keys of one pattern: the binding end is the server. */
export interface CurveKeys {
  /** The server's public key (Z85). */
  readonly serverPublic: string;
  /** The server's secret key (Z85). */
  readonly serverSecret: string;
  /** The client's public key (Z85). */
  readonly clientPublic: string;
  /** The client's secret key (Z85). */
  readonly clientSecret: string;
}

/** What the orchestrator tells a worker. */
export interface WorkerConfig {
  /** What this process does. */
  readonly role: Role;
  /** Where to bind (binding roles; the proxy binds `bind` and `bind2`). */
  readonly bind?: string;
  /** The proxy's second (subscriber-side) bind address. */
  readonly bind2?: string;
  /** Where to connect (connecting roles). */
  readonly connect?: string;
  /** CURVE keys, or absent for NULL. */
  readonly curve?: CurveKeys;
  /** Sender id carried in every message (a restarted sender gets a new one). */
  readonly senderId: number;
  /** Messages per second in steady state. */
  readonly rate: number;
  /** Extra messages sent back to back every `burstEvery` ms. */
  readonly burst: number;
  /** Milliseconds between bursts. */
  readonly burstEvery: number;
  /** Lazy-pirate request timeout in ms. */
  readonly requestTimeout: number;
  /** Fakes a fault of the library to prove the checks catch it: skip or repeat a number. */
  readonly inject?: "loss" | "duplicate";
}

const config: WorkerConfig = JSON.parse(process.env.SOAK_CONFIG ?? "{}");
const startedAt = Date.now();
const counters = {
  sent: 0,
  echoed: 0,
  retries: 0,
  socketsOpened: 0,
  handshakes: 0,
  disconnects: 0,
  handshakeErrors: 0,
  filterErrors: 0,
  unroutable: 0,
  injected: 0,
  errors: 0,
};
const errors: string[] = [];
const tally = new Tally();
let injectedLast = false;
let stopping = false;
const stopWaiters: (() => void)[] = [];
/** Per sender, how many of its gaps earlier records carried: each record carries the new ones. */
const gapsEmitted = new Map<number, number>();
/** What the first handshake failures said. */
const handshakeFailures: string[] = [];
/**
 * When this process saw a connection of its own end or start: the orchestrator matches gaps
 * against these too, because they are in this process's own order of events, which a busy
 * machine does not shift against the receive times the way it shifts the relay's cut times.
 */
const connectionEvents: number[] = [];
let connectionEventsEmitted = 0;

function emit(record: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(record) + "\n");
}

function fail(where: string, error: unknown): void {
  counters.errors++;
  const text = `${where}: ${error instanceof Error ? `${error.name} ${error.message}` : error}`;
  if (errors.length < 50) errors.push(text);
  emit({ type: "error", role: config.role, message: text });
}

/** The counts so far; gaps and connection events only as far as no earlier record carried them. */
function snapshot(): Record<string, unknown> {
  const eventsFrom = connectionEventsEmitted;
  connectionEventsEmitted = connectionEvents.length;
  return {
    role: config.role,
    pid: process.pid,
    uptime: Date.now() - startedAt,
    heapUsed: process.memoryUsage().heapUsed,
    counters,
    senders: Object.fromEntries(tally.senders),
    newGaps: Object.fromEntries(
      [...tally.gaps].map(([sender, gaps]) => {
        const from = gapsEmitted.get(sender) ?? 0;
        gapsEmitted.set(sender, gaps.length);
        return [sender, gaps.slice(from)];
      }),
    ),
    newConnectionEvents: connectionEvents.slice(eventsFrom),
    errors,
    handshakeFailures,
  };
}

/** Watches a socket's monitor events for the reconnect and error counts. */
function watch(socket: Socket): Socket {
  counters.socketsOpened++;
  const seen = (): void => {
    if (connectionEvents.length < 100_000) connectionEvents.push(Date.now());
  };
  socket.events.on("handshake", () => {
    counters.handshakes++;
    seen();
  });
  socket.events.on("disconnect", () => {
    counters.disconnects++;
    seen();
  });
  const failed = (type: SocketEventType): void => {
    socket.events.on(type, (event) => {
      counters.handshakeErrors++;
      if (handshakeFailures.length < 20) {
        handshakeFailures.push(`${type}: ${event.error?.code} ${event.error?.message}`);
      }
    });
  };
  failed("handshake:error:auth");
  failed("handshake:error:protocol");
  failed("handshake:error:other");
  return socket;
}

function asServer<T extends Socket>(socket: T): T {
  if (config.curve !== undefined) {
    socket.curveServer = true;
    socket.curveSecretKey = config.curve.serverSecret;
  }
  return watch(socket) as T;
}

function asClient<T extends Socket>(socket: T): T {
  if (config.curve !== undefined) {
    socket.curveServerKey = config.curve.serverPublic;
    socket.curvePublicKey = config.curve.clientPublic;
    socket.curveSecretKey = config.curve.clientSecret;
  }
  return watch(socket) as T;
}

function stopped(): Promise<void> {
  return stopping ? Promise.resolve() : new Promise((resolve) => stopWaiters.push(resolve));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Message sizes vary so that frames of both header lengths (short and long) cross the wire. */
function messageSize(seq: number): number {
  return seq % 97 === 0 ? 600 : 24 + (seq % 40);
}

/**
 * Calls `sendOne` at `config.rate` per second, plus a burst of `config.burst`
 * back to back every `config.burstEvery` ms, until stopped. `sendOne` may
 * wait (a full pipe slows the sender down, which is how ZeroMQ pushes back).
 */
async function pace(sendOne: () => Promise<void>): Promise<void> {
  const tick = 20;
  let due = 0;
  let lastTick = Date.now();
  let nextBurst = Date.now() + config.burstEvery;
  while (!stopping) {
    const now = Date.now();
    due += (now - lastTick) * config.rate / 1000;
    lastTick = now;
    if (now >= nextBurst) {
      due += config.burst;
      nextBurst = now + config.burstEvery;
    }
    // A long stall (a blocked send) does not turn into an unbounded catch-up burst.
    due = Math.min(due, config.rate + config.burst);
    while (due >= 1 && !stopping) {
      await sendOne();
      due--;
    }
    await sleep(tick);
  }
}

function nextMessage(topic: Uint8Array = TOPIC): Uint8Array {
  // A self-test of the checks: every 5000th number is skipped (looks lost) or sent twice.
  if (config.inject !== undefined && counters.sent % 5000 === 4999 && !injectedLast) {
    injectedLast = true;
    counters.injected++;
    if (config.inject === "loss") counters.sent++;
    else return encodeMessage(topic, config.senderId, counters.sent - 1, Date.now(), 24);
  } else injectedLast = false;
  const seq = counters.sent++;
  return encodeMessage(topic, config.senderId, seq, Date.now(), messageSize(seq));
}

/** Echoes every message back where it came from, until the socket closes. */
async function echo(socket: Reply | Router | Pair): Promise<void> {
  for (;;) {
    let message;
    try {
      message = await socket.receive();
    } catch (error) {
      if (!socket.closed) fail("echo receive", error);
      return;
    }
    counters.echoed++;
    try {
      await socket.send(message);
    } catch (error) {
      if (socket.closed) return;
      // A mandatory Router refuses a reply to a peer whose connection broke: lost at a fault.
      if (error instanceof Error && "code" in error && error.code === "EHOSTUNREACH") {
        counters.unroutable++;
        continue;
      }
      fail("echo send", error);
      return;
    }
  }
}

/** Receives until the socket closes, tallying every message. */
async function collect(socket: Dealer | Pair | Pull | Subscriber): Promise<void> {
  for (;;) {
    let message;
    try {
      message = await socket.receive();
    } catch (error) {
      if (!socket.closed) fail("receive", error);
      return;
    }
    const frame = message[message.length - 1];
    try {
      const header = decodeMessage(frame);
      if (header.topic !== "soak") {
        counters.filterErrors++;
        continue;
      }
      tally.add(header);
    } catch (error) {
      fail("decode", error);
    }
  }
}

/** A client that sends and counts its echoes: Dealer → Router, Pair → Pair. */
async function echoClient(socket: Dealer | Pair): Promise<void> {
  socket.connect(config.connect!);
  const receiving = collect(socket);
  await pace(async () => {
    try {
      await socket.send(nextMessage());
    } catch (error) {
      fail("send", error);
    }
  });
  // Wait for the replies still on their way while they keep coming (a bounded wait: some
  // may be lost); on a busy machine a full pipeline takes seconds to drain.
  let lastUnique = -1;
  let quietSince = Date.now();
  while (tally.senders.get(config.senderId)?.unique !== counters.sent) {
    const unique = tally.senders.get(config.senderId)?.unique ?? 0;
    if (unique !== lastUnique) {
      lastUnique = unique;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 5000) break;
    await sleep(50);
  }
  socket.close();
  await receiving;
}

/**
 * The lazy-pirate client (the ZeroMQ guide's reliable request-reply): send a
 * request, wait for its reply at most `requestTimeout` ms, else close the
 * socket (dropping the request and any late reply with it), open a new one
 * and send the same request again, until the reply comes.
 */
async function lazyClient(): Promise<void> {
  const open = (): Request => {
    const socket = asClient(new Request({ receiveTimeout: config.requestTimeout, linger: 0 }));
    socket.connect(config.connect!);
    return socket;
  };
  let socket = open();
  let last = Promise.resolve();
  await pace(() => last = roundTrip());
  await last;
  socket.close();

  async function roundTrip(): Promise<void> {
    const request = nextMessage();
    const seq = counters.sent - 1;
    // The last request is finished even after stop: a request without reply is a loss.
    for (;;) {
      try {
        await socket.send(request);
        const [reply] = await socket.receive();
        const header = decodeMessage(reply);
        if (header.seq !== seq) fail("lazy client", new Error(`reply ${header.seq} to ${seq}`));
        tally.add(header);
        return;
      } catch (error) {
        if (!(error instanceof Error && "code" in error && error.code === "EAGAIN")) {
          fail("lazy client", error);
        }
        counters.retries++;
        socket.close();
        socket = open();
      }
    }
  }
}

/** Lets a receiving loop run until `stop`, then closes its socket and waits for the loop. */
async function untilStopped(socket: Socket, loop: Promise<void>): Promise<void> {
  await stopped();
  socket.close();
  await loop;
}

async function main(): Promise<void> {
  const ready = (endpoint: string | null, extra: Record<string, unknown> = {}): void =>
    emit({ type: "ready", role: config.role, pid: process.pid, endpoint, ...extra });
  switch (config.role) {
    case "reply":
    case "router":
    case "pair-echo": {
      // A mandatory Router waits at the high-water mark instead of dropping the reply, so that
      // Dealer → Router loses only what a broken connection held.
      const socket = asServer(
        config.role === "reply"
          ? new Reply()
          : config.role === "router"
          ? new Router({ mandatory: true })
          : new Pair(),
      );
      await socket.bind(config.bind!);
      ready(socket.lastEndpoint);
      await untilStopped(socket, echo(socket));
      break;
    }
    case "pull": {
      const socket = asServer(new Pull());
      await socket.bind(config.bind!);
      ready(socket.lastEndpoint);
      await untilStopped(socket, collect(socket));
      break;
    }
    case "sub": {
      const socket = asClient(new Subscriber());
      socket.subscribe("soak");
      socket.connect(config.connect!);
      ready(null);
      await untilStopped(socket, collect(socket));
      break;
    }
    case "lazy-client":
      ready(null);
      await lazyClient();
      break;
    case "dealer":
    case "pair-client":
      ready(null);
      await echoClient(asClient(config.role === "dealer" ? new Dealer() : new Pair()));
      break;
    case "push": {
      const socket = asClient(new Push());
      socket.connect(config.connect!);
      ready(null);
      await pace(async () => {
        try {
          await socket.send(nextMessage());
        } catch (error) {
          fail("send", error);
        }
      });
      socket.close();
      break;
    }
    case "pub": {
      // Bound in the plain pattern, connected to the proxy's front end in the other.
      const socket = config.bind === undefined
        ? asClient(new Publisher())
        : asServer(new Publisher());
      if (config.bind === undefined) socket.connect(config.connect!);
      else await socket.bind(config.bind);
      ready(socket.lastEndpoint);
      let other = 0;
      await pace(async () => {
        // One message in ten goes to a topic nobody subscribed to: it must be filtered out.
        if (++other % 10 === 0) await socket.send(encodeMessage(OTHER_TOPIC, 0, 0, 0, 24));
        await socket.send(nextMessage());
      });
      socket.close();
      break;
    }
    case "proxy": {
      const front = asServer(new XSubscriber());
      const back = asServer(new XPublisher());
      await front.bind(config.bind!);
      await back.bind(config.bind2!);
      ready(front.lastEndpoint, { endpoint2: back.lastEndpoint });
      const proxy = new Proxy(front, back);
      const running = proxy.run().catch((error) => fail("proxy", error));
      await stopped();
      proxy.terminate();
      await running;
      front.close();
      back.close();
      break;
    }
    default:
      throw new Error(`unknown role ${config.role}`);
  }
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  input += chunk;
  if (input.includes("stop") && !stopping) {
    stopping = true;
    for (const resolve of stopWaiters.splice(0)) resolve();
  }
});

const statsTimer = setInterval(() => emit({ type: "stats", ...snapshot() }), 1000);
main().then(
  () => {
    clearInterval(statsTimer);
    emit({ type: "final", ...snapshot() });
    process.exit(0);
  },
  (error) => {
    fail("main", error);
    clearInterval(statsTimer);
    emit({ type: "final", ...snapshot() });
    process.exit(1);
  },
);
