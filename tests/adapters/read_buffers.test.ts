/**
 * adapters/read_buffers.ts: which memory each read goes into, and that no
 * chunk handed to the handler is ever read into again. The adapters that use
 * it are covered end to end by tests/adapters/transport.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ReadBuffers } from "../../adapters/read_buffers.ts";
import type { ConnectionHandler } from "../../core/transport.ts";

const allocate = (size: number): Uint8Array => new Uint8Array(size);

/** A read of `count` bytes into `buffer`, as the runtime would make it. */
function read(buffers: ReadBuffers, buffer: Uint8Array, count: number, value: number): Uint8Array {
  buffer.fill(value, 0, count);
  return buffers.filled(buffer, count);
}

/** Whether two views share any byte of memory. */
function overlap(a: Uint8Array, b: Uint8Array): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}

/** A handler assembling a frame whose missing part is `target`. */
function assembling(target: Uint8Array | undefined): ConnectionHandler {
  return { data() {}, drain() {}, closed() {}, readTarget: () => target };
}

describe("ReadBuffers", () => {
  test("small reads fill one buffer one after the other, each handed over as a view", () => {
    const buffers = new ReadBuffers(allocate);
    const chunks: Uint8Array[] = [];
    for (let i = 1; i <= 10; i++) chunks.push(read(buffers, buffers.next(undefined), 100, i));
    for (const chunk of chunks) assert.equal(chunk.buffer, chunks[0].buffer, "one buffer");
    const next = buffers.next(undefined);
    for (const chunk of chunks) assert.equal(overlap(chunk, next), false);
    chunks.forEach((chunk, i) => assert.ok(chunk.every((byte) => byte === i + 1), `chunk ${i}`));
  });

  test("a buffer whose rest is under half the read size is replaced by a fresh one", () => {
    const buffers = new ReadBuffers(allocate);
    const first = buffers.next(undefined);
    assert.equal(first.length, 2048);
    const chunk = read(buffers, first, 1500, 1);
    const second = buffers.next(undefined);
    assert.notEqual(second.buffer, chunk.buffer);
    assert.equal(second.length, 2048);
  });

  test("full reads double the read size up to 64 KiB, and large reads keep their buffer", () => {
    const buffers = new ReadBuffers(allocate);
    const sizes: number[] = [];
    let previous: Uint8Array | undefined;
    for (let i = 0; i < 8; i++) {
      const buffer = buffers.next(undefined);
      if (previous !== undefined) assert.equal(overlap(previous, buffer), false);
      sizes.push(buffer.length);
      previous = read(buffers, buffer, buffer.length, i);
    }
    assert.deepEqual(sizes, [2048, 4096, 8192, 16384, 32768, 65536, 65536, 65536]);
  });

  test("a small read into a large buffer is copied out, and the copy is never read into", () => {
    const buffers = new ReadBuffers(allocate);
    for (let i = 0; i < 6; i++) {
      const buffer = buffers.next(undefined);
      read(buffers, buffer, buffer.length, 0);
    }
    const large = buffers.next(undefined);
    assert.equal(large.length, 65536);
    const chunk = read(buffers, large, 100, 7);
    assert.notEqual(chunk.buffer, large.buffer, "copied out");
    assert.equal(chunk.length, 100);
    assert.ok(chunk.every((byte) => byte === 7));
    const next = buffers.next(undefined);
    next.fill(9);
    assert.ok(chunk.every((byte) => byte === 7), "later reads leave it alone");
    assert.ok(next.length < 65536, "a nearly empty read halves the read size");
  });

  test("the rest of a large frame is read straight into it, a small rest is not", () => {
    const frame = new Uint8Array(100_000);
    const buffers = new ReadBuffers(allocate);
    const rest = frame.subarray(40_000);
    assert.equal(buffers.next(assembling(rest)), rest);
    const chunk = read(buffers, rest, 30_000, 3);
    assert.equal(chunk.buffer, frame.buffer);
    assert.equal(chunk.byteOffset, 40_000);
    assert.notEqual(buffers.next(assembling(frame.subarray(95_000))).buffer, frame.buffer);
  });
});
