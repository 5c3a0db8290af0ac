/**
 * Push → Pull over inproc, both in one process (`inproc-push-pull`, `role=both`): a sender loop
 * and a receiver loop run side by side; the receiver's clock starts when it has the `warmup`-th
 * message and stops at the last of `warmup + count`.
 *
 * @module
 */

import { emitReady, emitResult, type EndArgs, throughput } from "../end_protocol.ts";
import { checkMessage, type EndContext } from "./library.ts";

/**
 * Runs the inproc case.
 *
 * @example
 * ```ts
 * await inprocEnd({ library, about: {} }, parseEndArgs(process.argv.slice(2)));
 * ```
 */
export async function inprocEnd({ library, about }: EndContext, args: EndArgs): Promise<void> {
  const { size, count, warmup } = args;
  const total = warmup + count;
  const endpoint = `inproc://bench-${Math.random().toString(36).slice(2)}`;
  const pull = new library.Pull();
  await pull.bind(endpoint);
  const push = new library.Push();
  push.connect(endpoint);
  emitReady([], about);
  const payload = new Uint8Array(size);
  const sending = (async () => {
    for (let i = 0; i < total; i++) await push.send(payload);
  })();
  let received = 0;
  let start = 0;
  for await (const message of pull) {
    checkMessage(message, 1, size, ++received);
    if (received === warmup) start = performance.now();
    if (received === total) break;
  }
  const seconds = (performance.now() - start) / 1000;
  await sending;
  emitResult("both", throughput(seconds, count, size));
  push.close();
  pull.close();
}
