// The protocol fuzzer, bounded: every target runs a fixed number of inputs from a fixed seed (the
// same inputs on every runtime and every run), every saved regression input is replayed, and the
// harness itself is shown to catch, reproduce and shrink a failure.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { check, fuzz, generate, inputSeed, minimize } from "../../fuzz/fuzzer.ts";
import { loadSaved, savedByTarget } from "../../fuzz/regressions.ts";
import { type FuzzTarget, loadTargets } from "../../fuzz/targets.ts";

/** Inputs per target: about half a second each on this machine's slowest runtime. */
const ITERATIONS: Record<string, number> = {
  frame_decoder: 150,
  greeting: 1500,
  command: 80,
  metadata: 3000,
  z85: 3000,
  session_null_server: 60,
  session_null_client: 100,
  session_plain_server: 80,
  session_plain_client: 80,
  session_curve_server: 25,
  session_curve_client: 40,
};
const SEED = 20251126;
/** Generous: the machine is shared, and only a runaway input should take this long. */
const BUDGET_MS = 5_000;

let targets: FuzzTarget[];
before(async () => {
  targets = await loadTargets(savedByTarget("corpus"));
});

const target = (name: string): FuzzTarget => {
  const found = targets.find((t) => t.name === name);
  assert.ok(found, `no fuzz target ${name}`);
  return found;
};

describe("protocol fuzzer", () => {
  test("every target is exercised", () => {
    assert.deepEqual(targets.map((t) => t.name).sort(), Object.keys(ITERATIONS).sort());
  });

  for (const name of Object.keys(ITERATIONS)) {
    test(`${name}: ${ITERATIONS[name]} inputs from seed ${SEED} keep every invariant`, () => {
      const t = target(name);
      for (const input of t.corpus) assert.equal(check(t, input, BUDGET_MS), undefined);
      const { execs, findings } = fuzz(t, {
        seed: SEED,
        iterations: ITERATIONS[name],
        budgetMs: BUDGET_MS,
        minimizeMs: 2_000,
      });
      assert.equal(execs, ITERATIONS[name]);
      assert.deepEqual(
        findings.map((f) => `${f.message} (--input-seed=${f.inputSeed})`),
        [],
      );
    });
  }

  test("every saved regression input passes", () => {
    const saved = loadSaved("regressions");
    assert.ok(saved.length >= 9, `only ${saved.length} regression inputs found`);
    for (const { target: name, name: file, input } of saved) {
      assert.equal(check(target(name), input, BUDGET_MS), undefined, `${name}/${file}`);
    }
  });

  test("the recorded streams take each session through its handshake and traffic", () => {
    // Mutations must start from deep states: the whole recorded session of every mechanism and
    // role (CURVE included, thanks to fixed keys and nonces) reaches READY and its traffic.
    // Streams captured from libzmq (fuzz/corpus/) must replay as far.
    for (const name of Object.keys(ITERATIONS).filter((n) => n.startsWith("session_"))) {
      const { corpus, trace } = target(name);
      corpus.forEach((input, i) => {
        const steps = i === 0 ? ["ready", "message", "subscribe", "cancel"] : ["ready", "message"];
        const lines = trace!(input).join("\n");
        for (const step of steps) {
          assert.match(lines, new RegExp(`^${step} `, "m"), `${name}[${i}] never reaches ${step}`);
        }
      });
    }
    const captured = loadSaved("corpus").map((saved) => saved.target).sort();
    assert.deepEqual(captured, [
      "session_null_client",
      "session_null_server",
      "session_plain_client",
      "session_plain_server",
    ]);
  });

  test("a frame over 1 MiB spread over reads decodes the same in every chunking", () => {
    // Past the size where the decoder gathers pieces instead of allocating at the header.
    const size = 1024 * 1024 + 7;
    const input = new Uint8Array(9 + size + 2);
    input[0] = 0x02;
    new DataView(input.buffer).setUint32(5, size);
    for (let i = 9; i < 9 + size; i++) input[i] = i & 0xff;
    input.set([0x00, 0x00], 9 + size);
    assert.equal(check(target("frame_decoder"), input, 60_000), undefined);
  });

  test("a failure is caught, reproduced from its seed and shrunk", () => {
    // A target with a planted bug: any input holding byte 0xEE throws a TypeError.
    const planted: FuzzTarget = {
      name: "planted",
      corpus: [new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])],
      run(input) {
        if (input.includes(0xee)) throw new TypeError("planted bug");
      },
    };
    const { findings } = fuzz(planted, {
      seed: 7,
      iterations: 3_000,
      budgetMs: BUDGET_MS,
      minimizeMs: 2_000,
    });
    assert.equal(findings.length, 1);
    const [finding] = findings;
    assert.equal(finding.message, "TypeError: planted bug");
    assert.deepEqual([...generate(planted, finding.inputSeed!)], [...finding.input]);
    assert.deepEqual([...finding.minimized], [0xee]);
    assert.deepEqual(
      [...minimize(planted, new Uint8Array([9, 0xee, 9]), finding.message, 1_000)],
      [0xee],
    );
    assert.notEqual(inputSeed(7, 0), inputSeed(7, 1));
  });
});
