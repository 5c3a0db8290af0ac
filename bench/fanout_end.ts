/**
 * One end of the fan-out case (`bench/fanout.ts`) with monocoque, run unchanged by `node`,
 * `deno run -A` and `bun`; `bench/fanout_native.c` is the same two ends over libzmq:
 *
 *     fanout_end.ts pub <count> <size> <burst>
 *     fanout_end.ts sub <endpoint> <subscribers>
 *
 * pub binds a Publisher, prints `ready` with its endpoint, publishes a warm-up message ('W')
 * every millisecond until a line arrives on stdin, then publishes `count` messages of `size`
 * bytes ('D') with `await publisher.send()`, letting the event loop turn after every `burst`
 * of them (a Publisher's send never waits, so a loop that never yields would leave its
 * connections no turn to write in; libzmq writes from its own thread meanwhile), prints
 * `sent`, and publishes an end message ('E') every millisecond until stdin ends.
 * sub makes `subscribers` Subscribers (each its own connection, subscribed to ""), prints
 * `ready` once each has had a warm-up message, counts data messages, and prints `done` once
 * each has had an end message, with the seconds from the first data message (on any socket)
 * to the last end message (the publisher sends one every millisecond once its data is out, and
 * each comes behind the data of its connection: timing every message would cost more than
 * that millisecond).
 *
 * @module
 */

import process from "node:process";
import { Publisher, Subscriber } from "../mod.ts";
import { commands, emit, memory } from "./child_io.ts";

const W = 0x57;
const D = 0x44;
const E = 0x45;
const [role, a, b, c] = process.argv.slice(2);

/** Lets the event loop turn (I/O, timers) before the loop goes on. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

if (role === "pub") {
  const count = Number(a);
  const size = Number(b);
  const burst = Number(c);
  const publisher = new Publisher();
  await publisher.bind("tcp://127.0.0.1:0");
  emit({ type: "ready", endpoint: publisher.lastEndpoint });
  let lines = 0;
  const finished = commands(() => lines++);
  const message = new Uint8Array(size);
  message[0] = W;
  while (lines === 0) {
    await publisher.send(message);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  // One buffer for every data message: a queued message is not copied, and this one never changes.
  const data = new Uint8Array(size);
  data[0] = D;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    await publisher.send(data);
    if ((i + 1) % burst === 0) await turn();
  }
  emit({ type: "sent", count, seconds: (performance.now() - start) / 1000 });
  const end = new Uint8Array(size);
  end[0] = E;
  const ending = setInterval(() => void publisher.send(end), 1);
  await finished;
  clearInterval(ending);
  emit({ type: "exit", ...memory() });
  publisher.linger = 0;
  publisher.close();
} else if (role === "sub") {
  const endpoint = a;
  const n = Number(b);
  const finished = commands(() => {});
  const received = new Array<number>(n).fill(0);
  let warm = 0;
  let ended = 0;
  let first = 0;
  let last = 0;
  const subscribers = Array.from({ length: n }, () => {
    const subscriber = new Subscriber();
    subscriber.subscribe();
    subscriber.connect(endpoint);
    return subscriber;
  });
  await Promise.all(subscribers.map(async (subscriber, i) => {
    let warmed = false;
    for await (const [frame] of subscriber) {
      const kind = frame[0];
      if (kind === D) {
        if (first === 0) first = performance.now();
        received[i]++;
      } else if (kind === W && !warmed) {
        warmed = true;
        if (++warm === n) emit({ type: "ready" });
      } else if (kind === E && warmed) {
        if (++ended === n) last = performance.now();
        break;
      }
    }
  }));
  emit({
    type: "done",
    received: received.reduce((sum, x) => sum + x, 0),
    least: Math.min(...received),
    most: Math.max(...received),
    seconds: (last - first) / 1000,
    ...memory(),
  });
  await finished;
  for (const subscriber of subscribers) {
    subscriber.linger = 0;
    subscriber.close();
  }
} else {
  throw new TypeError(`role must be pub or sub, not ${role}`);
}
