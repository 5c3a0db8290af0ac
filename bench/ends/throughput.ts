/**
 * Throughput over tcp between two processes: Push → Pull (`push-pull`) and Dealer → Router
 * (`dealer-router`).
 *
 * The binding process receives; the connecting one sends `warmup` messages of `size` bytes
 * (not timed). Once the receiver has all of them it starts its clock and answers "go"; the
 * sender then sends `count` more, and the clock stops when the receiver has the last one. It
 * answers "done", so the sender knows everything arrived before it closes. A Pull cannot
 * answer, so for `push-pull` the receiver also binds a Push of its own, always NULL, that
 * carries the two answers back to a Pull in the sender. With `mechanism=curve` the measured
 * connection is CURVE: the receiver is the server.
 *
 * Idiomatic use only: default options (high-water marks of 1000), one payload buffer reused,
 * `for (...) await socket.send(payload)` and `for await (const message of socket)`.
 *
 * @module
 */

import {
  emitReady,
  emitResult,
  type EndArgs,
  reportProgress,
  throughput,
} from "../end_protocol.ts";
import {
  bound,
  checkMessage,
  type EndContext,
  expectText,
  type Frames,
  type Library,
  type SecurityOptions,
} from "./library.ts";
import { curveSecurity } from "./curve_keys.ts";

/** The receiver's sockets: where the measured messages come in, and the way back. */
interface ReceiverSide {
  readonly endpoints: string[];
  readonly messages: AsyncIterable<Frames>;
  /** Frames per measured message; the payload is the last. */
  readonly frames: number;
  answer(message: Frames, text: string): Promise<void>;
  close(): void;
}

/** The sender's sockets: where the measured messages go out, and the way back. */
interface SenderSide {
  readonly socket: { send(payload: Uint8Array): Promise<void> };
  answer(): Promise<Frames>;
  close(): void;
}

interface Pattern {
  receiver(library: Library, security: SecurityOptions): Promise<ReceiverSide>;
  sender(library: Library, security: SecurityOptions, endpoints: readonly string[]): SenderSide;
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

/** The throughput case names. */
export const THROUGHPUT_CASES: readonly string[] = Object.keys(PATTERNS);

async function receive(side: ReceiverSide, { size, count, warmup }: EndArgs): Promise<void> {
  const total = warmup + count;
  let received = 0;
  let start = 0;
  let end = 0;
  const stop = reportProgress(() => received);
  try {
    for await (const message of side.messages) {
      checkMessage(message, side.frames, size, ++received);
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
    stop();
  }
  if (received !== total) throw new Error(`the socket closed after ${received} of ${total}`);
  emitResult("bind", throughput((end - start) / 1000, count, size));
  side.close();
}

async function send(side: SenderSide, { size, count, warmup }: EndArgs): Promise<void> {
  const socket = side.socket;
  const payload = new Uint8Array(size);
  for (let i = 0; i < warmup; i++) await socket.send(payload);
  expectText(await side.answer(), "go");
  const start = performance.now();
  for (let i = 0; i < count; i++) await socket.send(payload);
  const sendSeconds = (performance.now() - start) / 1000;
  expectText(await side.answer(), "done");
  emitResult("connect", { sendSeconds });
  side.close();
}

/**
 * Runs one process of a throughput case.
 *
 * @example
 * ```ts
 * await throughputEnd({ library, about: {} }, parseEndArgs(process.argv.slice(2)));
 * ```
 */
export async function throughputEnd({ library, about }: EndContext, args: EndArgs): Promise<void> {
  const pattern = PATTERNS[args.case];
  const security = curveSecurity(args);
  if (args.role === "connect") {
    await send(pattern.sender(library, security, args.endpoints), args);
  } else {
    const side = await pattern.receiver(library, security);
    emitReady(side.endpoints, about);
    await receive(side, args);
  }
}
