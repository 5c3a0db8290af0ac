/**
 * The pure pieces of the benchmark harness whose mistakes would silently skew its numbers: the
 * raw floor's frame counting and message parsing across chunk boundaries, the latency
 * statistics, and an end's command line.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseEndArgs, UsageError } from "../../bench/end_protocol.ts";
import {
  frameCounter,
  frameHeader,
  messageParser,
  prefixedMessage,
} from "../../bench/floor/framing.ts";
import { latencySummary, median, percentile } from "../../bench/stats.ts";

function frames(size: number, count: number): Uint8Array {
  const header = frameHeader(size);
  const bytes = new Uint8Array((header.length + size) * count);
  for (let i = 0; i < count; i++) bytes.set(header, i * (header.length + size));
  return bytes;
}

/** Feeds `bytes` to `parse` in chunks of `step` bytes. */
function feed(parse: (chunk: Uint8Array) => void, bytes: Uint8Array, step: number): void {
  for (let at = 0; at < bytes.length; at += step) parse(bytes.subarray(at, at + step));
}

describe("frameCounter", () => {
  for (const size of [0, 8, 255, 256, 70_000]) {
    test(`counts ${size}-byte frames however the stream is split`, () => {
      for (const step of [1, 2, 9, 1000, 1 << 20]) {
        const totals: number[] = [];
        feed(frameCounter(size, (total) => totals.push(total)), frames(size, 5), step);
        assert.equal(totals.at(-1), 5, `chunks of ${step}`);
        assert.deepEqual(totals, [...totals].sort((a, b) => a - b));
      }
    });
  }

  test("uses the long form above 255 bytes", () => {
    assert.deepEqual([...frameHeader(255)], [0, 255]);
    assert.deepEqual([...frameHeader(256)], [2, 0, 0, 0, 0, 0, 0, 1, 0]);
  });

  test("throws on a frame of another size", () => {
    const count = frameCounter(8, () => {});
    assert.throws(() => count(frames(9, 1)), /expected frames of 8 bytes, got 9/);
  });
});

describe("messageParser", () => {
  test("yields each whole length-prefixed message, prefix included", () => {
    const one = prefixedMessage(300);
    one[4] = 7;
    const stream = new Uint8Array(one.length * 3);
    for (let i = 0; i < 3; i++) stream.set(one, i * one.length);
    for (const step of [1, 5, 304, 1000]) {
      const seen: Uint8Array[] = [];
      feed(messageParser((message) => seen.push(message.slice())), stream, step);
      assert.equal(seen.length, 3, `chunks of ${step}`);
      for (const message of seen) assert.deepEqual(message, one);
    }
  });
});

describe("statistics", () => {
  test("median of odd and even counts", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  test("nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 0.5), 50);
    assert.equal(percentile(sorted, 0.99), 99);
    assert.equal(percentile([5], 0.99), 5);
  });

  test("latency summary of unsorted samples", () => {
    const summary = latencySummary(new Float64Array([30, 10, 20, 1000]));
    assert.equal(summary.roundTrips, 4);
    assert.equal(summary.meanUs, 265);
    assert.equal(summary.p50Us, 20);
    assert.equal(summary.p99Us, 1000);
    assert.ok(Math.abs(summary.seconds - 0.00106) < 1e-12);
  });
});

describe("parseEndArgs", () => {
  test("reads every field, with defaults", () => {
    assert.deepEqual(
      parseEndArgs([
        "pub-sub",
        "role=connect",
        "size=64",
        "count=10",
        "warmup=2",
        "subscribers=100",
        "endpoints=tcp://127.0.0.1:1,tcp://127.0.0.1:2",
      ]),
      {
        case: "pub-sub",
        role: "connect",
        size: 64,
        count: 10,
        warmup: 2,
        mechanism: "null",
        subscribers: 100,
        endpoints: ["tcp://127.0.0.1:1", "tcp://127.0.0.1:2"],
      },
    );
  });

  test("rejects what would make a run meaningless", () => {
    const base = ["push-pull", "role=bind", "size=8", "count=10", "warmup=1"];
    assert.throws(() => parseEndArgs([]), UsageError);
    assert.throws(() => parseEndArgs(["push-pull", "role=both", "size=8"]), /count/);
    assert.throws(() => parseEndArgs([...base.slice(0, 3), "count=0", "warmup=1"]), /count/);
    assert.throws(() => parseEndArgs([...base, "role=server"]), /role/);
    assert.throws(() => parseEndArgs([...base, "mechanism=plain"]), /mechanism/);
    assert.throws(() => parseEndArgs([...base, "oops"]), /bad argument/);
  });
});
