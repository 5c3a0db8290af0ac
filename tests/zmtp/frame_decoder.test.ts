// FrameDecoder: a seeded property test (FrameWriter output split at random points decodes to the
// same frames), zero-copy views, the size limit checked from the header alone, u64 sizes, reserved
// flag bits, and random garbage that must never make `push` throw.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { concatBytes, toHex } from "../../core/bytes.ts";
import { ZmqError } from "../../core/errors.ts";
import { COMMAND, FrameWriter, MORE } from "../../zmtp/frame.ts";
import { FrameDecoder } from "../../zmtp/frame_decoder.ts";

/** mulberry32: a small, well-mixed 32-bit PRNG, deterministic per seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max]. */
function int(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

interface Frame {
  flags: number;
  body: Uint8Array;
}

interface Decoded extends Frame {
  /** How many chunks had been pushed (completely or partly) when the frame came out. */
  chunkIndex: number;
}

/** A decoder that records every frame with the index of the chunk being pushed. */
function recorder(maxFrameSize = -1): {
  decoder: FrameDecoder;
  frames: Decoded[];
  setChunk(index: number): void;
} {
  const frames: Decoded[] = [];
  let chunkIndex = -1;
  const decoder = new FrameDecoder(
    {
      frame(flags, body) {
        frames.push({ flags, body, chunkIndex });
        return true;
      },
    },
    maxFrameSize,
  );
  return { decoder, frames, setChunk: (index) => (chunkIndex = index) };
}

function randomFrames(random: () => number): Frame[] {
  const frames: Frame[] = [];
  const messages = int(random, 1, 3);
  for (let m = 0; m < messages; m++) {
    const count = int(random, 0, 5);
    for (let i = 0; i < count; i++) {
      const size = random() < 0.02 ? 70_000 : int(random, 0, 300);
      const body = new Uint8Array(size);
      for (let b = 0; b < size; b++) body[b] = (random() * 256) | 0;
      // Commands stand alone; a message's frames carry MORE except the last. Some commands are
      // sent with MORE too: the decoder must pass flags through untouched.
      let flags: number;
      if (random() < 0.25) flags = COMMAND | (random() < 0.2 ? MORE : 0);
      else flags = i < count - 1 ? MORE : 0;
      frames.push({ flags, body });
    }
  }
  return frames;
}

/** Cut points for a stream: whole, every byte, random cuts, or random small pieces. */
function randomCuts(random: () => number, length: number): number[] {
  const mode = int(random, 0, 3);
  const cuts = new Set<number>([0, length]);
  if (mode === 1 && length <= 20_000) {
    for (let i = 1; i < length; i++) cuts.add(i);
  } else if (mode === 2) {
    const count = int(random, 1, 20);
    for (let i = 0; i < count; i++) cuts.add(int(random, 0, length));
  } else if (mode === 3) {
    for (let at = 0; at < length;) {
      at += random() < 0.5 ? 1 : int(random, 1, 17);
      cuts.add(Math.min(at, length));
    }
  }
  return [...cuts].sort((a, b) => a - b);
}

describe("FrameDecoder property test", () => {
  const BASE_SEED = 0x5eed_0001;
  const CASES = 600;

  test(`${CASES} random frame sequences split at random points decode unchanged`, () => {
    let totalFrames = 0;
    let views = 0;
    let assembled = 0;
    for (let n = 0; n < CASES; n++) {
      const seed = (BASE_SEED + n) >>> 0;
      const where = `seed 0x${seed.toString(16)} (case ${n})`;
      const random = mulberry32(seed);
      const frames = randomFrames(random);
      const writer = new FrameWriter();
      // Where each frame's header and body lie in the stream.
      const spans: { start: number; bodyStart: number; end: number }[] = [];
      let position = 0;
      for (const frame of frames) {
        writer.frame(frame.flags, frame.body);
        const header = frame.body.length > 255 ? 9 : 2;
        spans.push({
          start: position,
          bodyStart: position + header,
          end: position + header + frame.body.length,
        });
        position += header + frame.body.length;
      }
      const stream = concatBytes(writer.take());
      assert.equal(stream.length, position, where);
      const cuts = randomCuts(random, stream.length);
      // Each chunk gets its own ArrayBuffer, so buffer identity tells views from copies.
      const chunks: Uint8Array[] = [];
      for (let i = 1; i < cuts.length; i++) chunks.push(stream.slice(cuts[i - 1], cuts[i]));
      const { decoder, frames: out, setChunk } = recorder();
      for (let i = 0; i < chunks.length; i++) {
        setChunk(i);
        const error = decoder.push(chunks[i], 0);
        assert.equal(error, undefined, `${where}: ${error}`);
      }
      assert.equal(decoder.atFrameBoundary, true, where);
      assert.equal(out.length, frames.length, `${where}: frame count`);
      for (let f = 0; f < frames.length; f++) {
        const label = `${where}, frame ${f} of size ${frames[f].body.length}`;
        assert.equal(out[f].flags, frames[f].flags, `${label}: flags`);
        assert.equal(out[f].body.length, frames[f].body.length, `${label}: length`);
        assert.ok(toHex(out[f].body) === toHex(frames[f].body), `${label}: body bytes differ`);
        // Locate the chunk holding the first and last byte of the frame.
        const span = spans[f];
        const chunkOf = (at: number): number => {
          let c = 0;
          while (cuts[c + 1] <= at) c++;
          return c;
        };
        const first = chunkOf(span.start);
        const last = chunkOf(Math.max(span.start, span.end - 1));
        if (first === last) {
          views++;
          const chunk = chunks[first];
          assert.equal(out[f].chunkIndex, first, `${label}: emitted while its chunk was pushed`);
          assert.ok(out[f].body.buffer === chunk.buffer, `${label}: not a view of its chunk`);
          assert.equal(out[f].body.byteOffset, span.bodyStart - cuts[first], `${label}: offset`);
        } else if (span.end > span.bodyStart && chunkOf(span.bodyStart) !== chunkOf(span.end - 1)) {
          // The body itself spans chunks: assembled once into a buffer of its exact size.
          assembled++;
          assert.equal(out[f].chunkIndex, chunkOf(span.end - 1), label);
          assert.equal(
            out[f].body.byteLength,
            out[f].body.buffer.byteLength,
            `${label}: exact size`,
          );
          for (const chunk of chunks) assert.ok(out[f].body.buffer !== chunk.buffer, label);
        }
      }
      totalFrames += frames.length;
    }
    // The generator must actually exercise both paths, or the test proves little.
    assert.ok(totalFrames > 2000, `only ${totalFrames} frames`);
    assert.ok(views > 500, `only ${views} in-chunk frames`);
    assert.ok(assembled > 200, `only ${assembled} assembled frames`);
  });

  test("an offset into the first chunk skips the bytes before it", () => {
    const { decoder, frames } = recorder();
    const chunk = new Uint8Array([0xee, 0xee, 0xee, 0x01, 0x01, 0x41, 0x00, 0x00]);
    assert.equal(decoder.push(chunk, 3), undefined);
    assert.deepEqual(frames.map((f) => [f.flags, toHex(f.body)]), [[MORE, "41"], [0, ""]]);
  });

  test("a sink returning false stops decoding at once", () => {
    const seen: string[] = [];
    const decoder = new FrameDecoder({
      frame(_flags, body) {
        seen.push(toHex(body));
        return false;
      },
    });
    assert.equal(decoder.push(new Uint8Array([0, 1, 0x41, 0, 1, 0x42]), 0), undefined);
    assert.deepEqual(seen, ["41"]);
  });

  test("a frame spread over chunks uses the allocate callback once, with the exact size", () => {
    const sizes: number[] = [];
    const frames: Uint8Array[] = [];
    const decoder = new FrameDecoder(
      { frame: (_f, body) => (frames.push(body), true) },
      -1,
      (size) => {
        sizes.push(size);
        return new Uint8Array(size);
      },
    );
    const body = new Uint8Array(300).map((_, i) => i & 0xff);
    const writer = new FrameWriter();
    writer.frame(0, body);
    const stream = concatBytes(writer.take());
    decoder.push(stream.slice(0, 100), 0);
    decoder.push(stream.slice(100, 200), 0);
    assert.equal(frames.length, 0);
    assert.equal(decoder.atFrameBoundary, false);
    decoder.push(stream.slice(200), 0);
    assert.deepEqual(sizes, [300]);
    assert.equal(toHex(frames[0]), toHex(body));
  });
});

describe("FrameDecoder size limit", () => {
  test("a short size field over maxFrameSize is refused from the 2-byte header alone", () => {
    const allocations: number[] = [];
    const decoder = new FrameDecoder(
      { frame: () => assert.fail("no frame expected") },
      100,
      (size) => {
        allocations.push(size);
        return new Uint8Array(size);
      },
    );
    const error = decoder.push(new Uint8Array([0x00, 101]), 0);
    assert.ok(error instanceof ZmqError, `expected an error, got ${error}`);
    assert.equal(error.code, "EMSGSIZE");
    assert.match(error.message, /101/);
    assert.match(error.message, /100/);
    assert.deepEqual(allocations, []);
  });

  test("a long size field over maxFrameSize is refused from the 9-byte header alone, even byte by byte", () => {
    const header = [0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x00]; // 256
    const whole = new FrameDecoder({ frame: () => assert.fail("no frame expected") }, 255);
    const error = whole.push(new Uint8Array(header), 0);
    assert.ok(error instanceof ZmqError);
    assert.equal(error.code, "EMSGSIZE");

    const split = new FrameDecoder({ frame: () => assert.fail("no frame expected") }, 255);
    for (let i = 0; i < 8; i++) {
      assert.equal(split.push(new Uint8Array([header[i]]), 0), undefined, `byte ${i}`);
    }
    const late = split.push(new Uint8Array([header[8]]), 0);
    assert.ok(late instanceof ZmqError, "refused on the last header byte");
    assert.equal(late.code, "EMSGSIZE");
  });

  test("a frame of exactly maxFrameSize bytes passes; maxFrameSize 0 allows only empty frames", () => {
    const frames: Uint8Array[] = [];
    const decoder = new FrameDecoder({ frame: (_f, body) => (frames.push(body), true) }, 100);
    const chunk = new Uint8Array(102);
    chunk[1] = 100;
    assert.equal(decoder.push(chunk, 0), undefined);
    assert.equal(frames.length, 1);
    assert.equal(frames[0].length, 100);

    const zero = new FrameDecoder({ frame: () => true }, 0);
    assert.equal(zero.push(new Uint8Array([0, 0, 1, 0]), 0), undefined);
    const error = zero.push(new Uint8Array([0, 1, 0x41]), 0);
    assert.ok(error instanceof ZmqError);
    assert.equal(error.code, "EMSGSIZE");
  });

  test("a u64 size of 2^32 or more is a clean EPROTO error, whole or byte by byte", () => {
    const cases: [number[], string][] = [
      [[0x02, 0, 0, 0, 0x01, 0, 0, 0, 0], "4294967296"],
      [[0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "18446744073709551615"],
    ];
    for (const [header, size] of cases) {
      const whole = new FrameDecoder({ frame: () => assert.fail("no frame expected") });
      const error = whole.push(new Uint8Array([...header, 1, 2, 3]), 0);
      assert.ok(error instanceof ZmqError, `header ${toHex(new Uint8Array(header))}`);
      assert.equal(error.code, "EPROTO");
      assert.ok(error.message.includes(size), error.message);

      const split = new FrameDecoder({ frame: () => assert.fail("no frame expected") });
      let result: ZmqError | undefined;
      for (let i = 0; i < header.length; i++) {
        result = split.push(new Uint8Array([header[i]]), 0);
        if (i < header.length - 1) assert.equal(result, undefined);
      }
      assert.ok(result instanceof ZmqError);
      assert.equal(result.code, "EPROTO");
    }
  });

  test("a u64 size between 2^31 and 2^32 is refused as too large without allocating", () => {
    const decoder = new FrameDecoder({ frame: () => assert.fail("no frame expected") }, -1, () => {
      throw new Error("must not allocate");
    });
    const error = decoder.push(new Uint8Array([0x02, 0, 0, 0, 0, 0x80, 0, 0, 0]), 0);
    assert.ok(error instanceof ZmqError);
    assert.equal(error.code, "EMSGSIZE");
  });
});

describe("FrameDecoder flags", () => {
  test("reserved flag bits (0xF8) are ignored; LONG is stripped", () => {
    const out: [number, string][] = [];
    const decoder = new FrameDecoder({
      frame: (flags, body) => (out.push([flags, toHex(body)]), true),
    });
    const stream = new Uint8Array([
      0xf8 | MORE,
      1,
      0x41, // message frame with MORE
      0xf8 | COMMAND,
      2,
      0x42,
      0x43, // command
      0xf8,
      0, // empty last frame
      0xf8 | 0x02 | COMMAND | MORE,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      1,
      0x44, // long form, size 1
    ]);
    assert.equal(decoder.push(stream, 0), undefined);
    assert.deepEqual(out, [
      [MORE, "41"],
      [COMMAND, "4243"],
      [0, ""],
      [COMMAND | MORE, "44"],
    ]);
  });

  test("the long form is accepted for small sizes (as libzmq does)", () => {
    const out: string[] = [];
    const decoder = new FrameDecoder({ frame: (_f, body) => (out.push(toHex(body)), true) });
    assert.equal(
      decoder.push(
        new Uint8Array([0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 2, 7, 8]),
        0,
      ),
      undefined,
    );
    assert.deepEqual(out, ["", "0708"]);
  });
});

describe("FrameDecoder garbage", () => {
  test("thousands of random byte strings in random chunks never make push throw", () => {
    const BASE_SEED = 0x6a2b_0000;
    let errors = 0;
    let frames = 0;
    for (let n = 0; n < 4000; n++) {
      const seed = (BASE_SEED + n) >>> 0;
      const random = mulberry32(seed);
      const length = int(random, 0, 400);
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = (random() * 256) | 0;
      // Bias some streams to the LONG flag with small high bytes, to reach the long-size paths.
      if (length >= 9 && random() < 0.3) {
        bytes[0] |= 0x02;
        bytes[1] = bytes[2] = bytes[3] = 0;
        bytes[4] = random() < 0.5 ? 0 : bytes[4];
        bytes[5] = 0;
        bytes[6] &= 0x0f; // at most 1 MiB, so a few allocations stay cheap
      }
      const maxFrameSize = [-1, 0, 10, 255, 1000][int(random, 0, 4)];
      const decoder = new FrameDecoder(
        {
          frame(flags, body) {
            assert.equal(
              flags & ~(MORE | COMMAND),
              0,
              `seed 0x${seed.toString(16)}: flags ${flags}`,
            );
            assert.ok(
              maxFrameSize < 0 || body.length <= maxFrameSize,
              `seed 0x${seed.toString(16)}`,
            );
            frames++;
            return true;
          },
        },
        maxFrameSize,
        (size) => {
          assert.ok(size <= 0x7fffffff, `seed 0x${seed.toString(16)}: allocation of ${size}`);
          return new Uint8Array(size);
        },
      );
      let at = 0;
      while (at < length) {
        const next = Math.min(length, at + (random() < 0.3 ? 1 : int(random, 1, 64)));
        let result: unknown;
        try {
          result = decoder.push(bytes.slice(at, next), 0);
        } catch (thrown) {
          assert.fail(`seed 0x${seed.toString(16)}: push threw ${thrown}`);
        }
        assert.ok(
          result === undefined || result instanceof ZmqError,
          `seed 0x${seed.toString(16)}: push returned ${String(result)}`,
        );
        if (result !== undefined) {
          errors++;
          break;
        }
        at = next;
      }
    }
    assert.ok(errors > 100, `garbage produced only ${errors} errors`);
    assert.ok(frames > 500, `garbage produced only ${frames} frames`);
  });
});

describe("FrameDecoder memory", () => {
  test("a large frame spanning reads is allocated only once it has fully arrived", () => {
    const allocations: number[] = [];
    const frames: Uint8Array[] = [];
    const decoder = new FrameDecoder(
      { frame: (_flags, body) => (frames.push(body), true) },
      -1,
      (size) => (allocations.push(size), new Uint8Array(size)),
    );
    // A size field claiming 2^31 - 1 bytes, and only 100 of them sent: nothing is allocated.
    const header = new Uint8Array([0x02, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]);
    assert.equal(decoder.push(concatBytes([header, new Uint8Array(100)]), 0), undefined);
    assert.deepEqual(allocations, []);
    assert.equal(decoder.atFrameBoundary, false);
  });

  test("a 3 MiB frame arriving in 64 KiB reads is assembled once, byte for byte", () => {
    const size = 3 * 1024 * 1024;
    const body = new Uint8Array(size);
    for (let i = 0; i < size; i++) body[i] = (i * 13) & 0xff;
    const writer = new FrameWriter();
    writer.frame(MORE, body);
    writer.frame(0, new Uint8Array([7]));
    const stream = concatBytes(writer.take());
    const allocations: number[] = [];
    const frames: [number, Uint8Array][] = [];
    const decoder = new FrameDecoder(
      { frame: (flags, frame) => (frames.push([flags, frame]), true) },
      -1,
      (n) => (allocations.push(n), new Uint8Array(n)),
    );
    for (let at = 0; at < stream.length; at += 65536) {
      assert.equal(decoder.push(stream.subarray(at, at + 65536), 0), undefined);
    }
    assert.deepEqual(allocations, [size]);
    assert.equal(frames.length, 2);
    assert.equal(frames[0][0], MORE);
    assert.equal(toHex(frames[0][1]), toHex(body));
    assert.deepEqual([...frames[1][1]], [7]);
    assert.equal(decoder.atFrameBoundary, true);
  });

  test("bytes read into pendingBody complete the frame in that memory, and the stream goes on after it", () => {
    const size = 200_000;
    const body = new Uint8Array(size);
    for (let i = 0; i < size; i++) body[i] = (i * 7) & 0xff;
    const writer = new FrameWriter();
    writer.frame(0, body);
    writer.frame(0, new Uint8Array([9]));
    const stream = concatBytes(writer.take());
    const frames: Uint8Array[] = [];
    const decoder = new FrameDecoder({ frame: (_flags, frame) => (frames.push(frame), true) });
    assert.equal(decoder.pendingBody, undefined);
    // The header (9 bytes) and the first 1000 body bytes arrive in an ordinary read.
    let at = 9 + 1000;
    assert.equal(decoder.push(stream.subarray(0, at), 0), undefined);
    // Then, as an adapter reading in place would: into the rest of the body, in two reads.
    let readInto: Uint8Array | undefined;
    for (const count of [150_000, size - 151_000]) {
      const target: Uint8Array = decoder.pendingBody!;
      readInto = target;
      assert.equal(target.length, size - (at - 9));
      target.set(stream.subarray(at, at + count));
      assert.equal(decoder.push(target.subarray(0, count), 0), undefined);
      at += count;
    }
    assert.equal(frames.length, 1);
    assert.equal(toHex(frames[0]), toHex(body));
    assert.equal(frames[0].buffer, readInto!.buffer, "the frame is the memory read into");
    assert.equal(decoder.pendingBody, undefined);
    assert.equal(decoder.push(stream.subarray(at), 0), undefined);
    assert.deepEqual([...frames[1]], [9]);
    assert.equal(decoder.atFrameBoundary, true);
  });
});
