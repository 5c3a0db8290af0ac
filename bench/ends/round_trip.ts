/**
 * Round-trip latency over tcp between two processes: Request → Reply (`req-rep-rtt`) and
 * Dealer → Router (`dealer-router-rtt`).
 *
 * The binding process echoes every message it receives, `warmup + count` of them, then prints
 * its result and exits. The connecting process is the one client with one request outstanding:
 * `warmup` round trips not timed, then `count` round trips each timed with `performance.now()`
 * from before its `send` to after its `receive`; it prints their mean, median and 99th
 * percentile in microseconds.
 *
 * @module
 */

import { emitReady, emitResult, type EndArgs } from "../end_protocol.ts";
import { latencySummary } from "../stats.ts";
import { bound, checkMessage, type Connecting, type EndContext, type Frames } from "./library.ts";

/** The echoing socket, and how it answers a message. */
interface Echo {
  readonly socket: AsyncIterable<Frames> & { lastEndpoint: string; close(): void };
  readonly frames: number;
  echo(message: Frames): Promise<void>;
}

/** The client socket, and one round trip on it. */
interface Client {
  roundTrip(payload: Uint8Array): Promise<Frames>;
  close(): void;
}

interface Pattern {
  echo(context: EndContext): Promise<Echo>;
  client(context: EndContext, endpoint: string): Client;
}

/** A client socket connected to `endpoint`: a round trip is a send, then a receive. */
function connectedClient(
  socket: Connecting & { send(payload: Uint8Array): Promise<void>; receive(): Promise<Frames> },
  endpoint: string,
): Client {
  socket.connect(endpoint);
  return {
    async roundTrip(payload) {
      await socket.send(payload);
      return await socket.receive();
    },
    close: () => socket.close(),
  };
}

const PATTERNS: Record<string, Pattern> = {
  "req-rep-rtt": {
    async echo({ library }) {
      const reply = await bound(new library.Reply());
      return { socket: reply, frames: 1, echo: (message) => reply.send(message[0]) };
    },
    client: ({ library }, endpoint) => connectedClient(new library.Request(), endpoint),
  },
  "dealer-router-rtt": {
    async echo({ library }) {
      const router = await bound(new library.Router());
      return { socket: router, frames: 2, echo: (message) => router.send(message) };
    },
    client: ({ library }, endpoint) => connectedClient(new library.Dealer(), endpoint),
  },
};

/** The round-trip case names. */
export const ROUND_TRIP_CASES: readonly string[] = Object.keys(PATTERNS);

/**
 * Runs one process of a round-trip case.
 *
 * @example
 * ```ts
 * await roundTripEnd({ library, about: {} }, parseEndArgs(process.argv.slice(2)));
 * ```
 */
export async function roundTripEnd(context: EndContext, args: EndArgs): Promise<void> {
  const pattern = PATTERNS[args.case];
  const { size, count, warmup } = args;
  const total = warmup + count;
  if (args.role !== "connect") {
    const echo = await pattern.echo(context);
    emitReady([echo.socket.lastEndpoint], context.about);
    let echoed = 0;
    for await (const message of echo.socket) {
      checkMessage(message, echo.frames, size, ++echoed);
      await echo.echo(message);
      if (echoed === total) break;
    }
    emitResult("bind", { echoed });
    echo.socket.close();
    return;
  }
  const client = pattern.client(context, args.endpoints[0]);
  const payload = new Uint8Array(size);
  const samples = new Float64Array(count);
  for (let i = 0; i < total; i++) {
    const start = performance.now();
    const reply = await client.roundTrip(payload);
    const elapsed = performance.now() - start;
    checkMessage(reply, 1, size, i + 1);
    if (i >= warmup) samples[i - warmup] = elapsed * 1000;
  }
  emitResult("connect", { ...latencySummary(samples) });
  client.close();
}
