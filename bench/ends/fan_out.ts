/**
 * Publisher → Subscriber fan-out (`pub-sub`): one Publisher in the binding process, and
 * `subscribers` Subscriber sockets (each its own connection, all subscribed to everything) in
 * the connecting process. The result is the aggregate delivered rate: timed messages received,
 * summed over the subscribers, over the time from the first of them to the last subscriber's
 * first end message (which follows its last timed one). A Publisher drops what a subscriber at
 * its high-water mark cannot take, so the result also says how many were expected (`count` ×
 * `subscribers`).
 *
 * The first payload byte marks a message: warm-up, timed or end. The publisher sends warm-up
 * messages, 100 at a time, until the subscribers' process answers "ready" on a way back (a Push
 * it connects to a Pull the publisher binds): it does once every subscriber has had one, so
 * every subscription has arrived, and `warmup` have arrived in all. The publisher then sends
 * `count` timed messages, then end messages, one a millisecond (any may be dropped), until the
 * answer "done" says that every subscriber has had one.
 *
 * @module
 */

import { emitReady, emitResult, type EndArgs, UsageError } from "../end_protocol.ts";
import { bound, type EndContext, expectText, type Frames } from "./library.ts";

const WARM = 0;
const TIMED = 1;
const END = 2;

/** Sends until `answer` settles, `batch` messages and then a pause of 1 ms at a time. */
async function publishUntil(
  send: () => Promise<void>,
  batch: number,
  answer: Promise<Frames>,
  expected: string,
): Promise<void> {
  let settled = false;
  const done = answer.then((message) => {
    settled = true;
    expectText(message, expected);
  }, (error) => {
    settled = true;
    throw error;
  });
  while (!settled) {
    for (let i = 0; i < batch; i++) await send();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await done;
}

function marked(size: number, mark: number): Uint8Array {
  const payload = new Uint8Array(size);
  payload[0] = mark;
  return payload;
}

async function publisher({ library, about }: EndContext, { size, count }: EndArgs) {
  const publisher = await bound(new library.Publisher());
  const back = await bound(new library.Pull());
  emitReady([publisher.lastEndpoint, back.lastEndpoint], about);
  // One buffer per mark, never changed: a send may still hold its payload after it resolved.
  const warm = marked(size, WARM);
  const timed = marked(size, TIMED);
  const end = marked(size, END);
  await publishUntil(() => publisher.send(warm), 100, back.receive(), "ready");
  const start = performance.now();
  for (let i = 0; i < count; i++) await publisher.send(timed);
  const sendSeconds = (performance.now() - start) / 1000;
  await publishUntil(() => publisher.send(end), 1, back.receive(), "done");
  emitResult("bind", { sendSeconds });
  publisher.close();
  back.close();
}

async function subscribers(
  { library }: EndContext,
  { size, count, warmup, subscribers: n, endpoints }: EndArgs,
) {
  const back = new library.Push();
  back.connect(endpoints[1]);
  let warmSubscribers = 0;
  let warmMessages = 0;
  let answered = false;
  let timedMessages = 0;
  let start = 0;
  let last = 0;
  const one = async (): Promise<void> => {
    const subscriber = new library.Subscriber();
    subscriber.subscribe("");
    subscriber.connect(endpoints[0]);
    let warmed = false;
    try {
      for await (const [payload] of subscriber) {
        if (payload.length !== size) {
          throw new Error(`expected ${size} bytes, got ${payload.length}`);
        }
        const mark = payload[0];
        if (mark === TIMED) {
          if (timedMessages++ === 0) start = performance.now();
        } else if (mark === WARM) {
          warmMessages++;
          if (!warmed) {
            warmed = true;
            warmSubscribers++;
          }
          if (!answered && warmSubscribers === n && warmMessages >= warmup) {
            answered = true;
            await back.send("ready");
          }
        } else {
          // The first end message comes behind the last timed one of this connection, at most a
          // millisecond later; a clock read per timed message would cost the subscribers' process
          // more than that (45-89 ns a call in JavaScript runtimes, a quarter of a delivery).
          last = Math.max(last, performance.now());
          break;
        }
      }
    } finally {
      subscriber.close();
    }
  };
  await Promise.all(Array.from({ length: n }, one));
  await back.send("done");
  const seconds = (last - start) / 1000;
  emitResult("connect", {
    seconds,
    messages: timedMessages,
    expected: count * n,
    messagesPerSecond: timedMessages / seconds,
    megabytesPerSecond: (timedMessages * size) / seconds / 1e6,
  });
  back.close();
}

/**
 * Runs one process of the fan-out case.
 *
 * @example
 * ```ts
 * await fanOutEnd({ library, about: {} }, parseEndArgs(process.argv.slice(2)));
 * ```
 */
export async function fanOutEnd(context: EndContext, args: EndArgs): Promise<void> {
  if (args.size < 1) throw new UsageError("pub-sub needs size >= 1 (the first byte is a mark)");
  if (args.role === "connect") await subscribers(context, args);
  else await publisher(context, args);
}
