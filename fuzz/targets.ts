/**
 * The fuzz targets: each takes one byte array, runs a piece of the protocol
 * layer on it, and throws when an invariant breaks. Every target checks that
 * nothing escapes but the documented results (a returned or recorded
 * `ZmqError` for bad input), and the incremental ones that every chunking of
 * the input gives the same trace.
 *
 * @module
 */

import { ascii, bytesEqual, concatBytes, fromAscii, toHex } from "../core/bytes.ts";
import { ZmqError } from "../core/errors.ts";
import { z85Decode, z85Encode } from "../core/z85.ts";
import { commandBody, commandDataOffset, commandName, errorReason } from "../zmtp/commands.ts";
import type { CurveCrypto } from "../zmtp/curve_crypto.ts";
import { CurveMechanism, type CurveTestInputs } from "../zmtp/curve_mechanism.ts";
import { loadSodiumCrypto } from "../zmtp/curve_sodium.ts";
import { FrameDecoder } from "../zmtp/frame_decoder.ts";
import { encodeGreeting, GreetingReader, type MechanismName } from "../zmtp/greeting.ts";
import type { HandshakeHost, HandshakeStep, Mechanism } from "../zmtp/mechanism.ts";
import { Metadata } from "../zmtp/metadata.ts";
import { NullMechanism } from "../zmtp/null_mechanism.ts";
import { PlainMechanism } from "../zmtp/plain_mechanism.ts";
import { chunkings } from "./chunkings.ts";
import { InvariantError } from "./invariant.ts";
import { fingerprint, hashBytes } from "./prng.ts";
import { record } from "./recorded_sessions.ts";
import { type AuthMode, driveSession, type SessionSetup } from "./session_driver.ts";

/** One thing to fuzz. */
export interface FuzzTarget {
  /** Short name, used on the command line and for the regression folder. */
  readonly name: string;
  /** Valid inputs that mutations start from. */
  readonly corpus: readonly Uint8Array[];
  /** Runs one input; throws when an invariant breaks. */
  run(input: Uint8Array): void;
  /** For session targets: the trace of one input, whole, with the first setup. */
  trace?(input: Uint8Array): string[];
}

/** Frame size limits each decoder input is tried with (-1: none). */
const DECODER_LIMITS = [-1, 0, 255, 1000];

function sameTraces(traces: readonly string[][], what: string): void {
  const first = traces[0].join("\n");
  for (let i = 1; i < traces.length; i++) {
    const other = traces[i].join("\n");
    if (other !== first) {
      throw new InvariantError(
        `${what} depends on chunking (chunking 0 vs ${i}):\n${first.slice(0, 600)}\n--- vs ---\n${
          other.slice(0, 600)
        }`,
      );
    }
  }
}

function decodeTrace(chunks: readonly Uint8Array[], limit: number): string[] {
  const trace: string[] = [];
  let inputLength = 0;
  for (const chunk of chunks) inputLength += chunk.length;
  const decoder = new FrameDecoder(
    {
      frame: (flags, body) => {
        if ((flags & ~0x05) !== 0) throw new InvariantError(`frame flags 0x${flags.toString(16)}`);
        if (limit >= 0 && body.length > limit) {
          throw new InvariantError(`a frame of ${body.length} bytes over the ${limit} limit`);
        }
        trace.push(`${flags} ${fingerprint(body)}`);
        return true;
      },
    },
    limit,
    (size) => {
      // The only buffers the decoder makes from a size field come through here.
      if (limit >= 0 && size > limit) {
        throw new InvariantError(`allocated ${size} bytes with a ${limit}-byte limit`);
      }
      if (size > Math.max(1024 * 1024, inputLength)) {
        throw new InvariantError(`allocated ${size} bytes for an input of ${inputLength}`);
      }
      return new Uint8Array(size);
    },
  );
  for (const chunk of chunks) {
    const error = decoder.push(chunk, 0);
    if (error !== undefined) {
      if (!(error instanceof ZmqError) || (error.code !== "EPROTO" && error.code !== "EMSGSIZE")) {
        throw new InvariantError(`decoder returned ${String(error)}`);
      }
      trace.push(`error ${error.code} ${error.message}`);
      return trace;
    }
  }
  trace.push(`end ${decoder.atFrameBoundary ? "at boundary" : "mid-frame"}`);
  return trace;
}

const frameDecoder = (corpus: Uint8Array[]): FuzzTarget => ({
  name: "frame_decoder",
  corpus,
  run(input) {
    const cuts = chunkings(input);
    for (const limit of DECODER_LIMITS) {
      sameTraces(cuts.map((chunks) => decodeTrace(chunks, limit)), `decoding (limit ${limit})`);
    }
  },
});

function greetingTrace(chunks: readonly Uint8Array[], expected: MechanismName): string[] {
  const reader = new GreetingReader(expected);
  let used = 0;
  for (const chunk of chunks) {
    const result = reader.push(chunk, 0);
    if (typeof result !== "number") {
      if (!(result instanceof ZmqError) || result.code !== "EPROTO") {
        throw new InvariantError(`greeting reader returned ${String(result)}`);
      }
      return [`error ${result.message}`];
    }
    if (result < 0 || result > chunk.length) throw new InvariantError(`used ${result} bytes`);
    used += result;
    if (reader.greeting !== undefined) break;
  }
  if (used > 64) throw new InvariantError(`greeting reader took ${used} bytes`);
  return [`used ${used}`, JSON.stringify(reader.greeting ?? null)];
}

const greeting = (corpus: Uint8Array[]): FuzzTarget => ({
  name: "greeting",
  corpus,
  run(input) {
    const cuts = chunkings(input);
    for (const expected of ["NULL", "PLAIN", "CURVE"] as const) {
      sameTraces(cuts.map((chunks) => greetingTrace(chunks, expected)), `greeting (${expected})`);
    }
  },
});

/** A handshake host that accepts whatever the mechanism does. */
const quietHost: HandshakeHost = {
  sendCommand: () => {},
  localMetadata: new Metadata([["Socket-Type", ascii("DEALER")]]),
  authenticate: () => {},
};

function checkStep(step: HandshakeStep, what: string): void {
  if (step instanceof ZmqError) {
    if (step.code !== "EPROTO" && step.code !== "EACCES") {
      throw new InvariantError(`${what} returned code ${step.code}`);
    }
  } else if (step !== "continue" && step !== "pending" && step !== "ready") {
    throw new InvariantError(`${what} returned ${String(step)}`);
  }
}

/** Fixed keys and nonces: the CURVE targets replay recorded handshakes that stay valid. */
interface CurveKeys {
  readonly crypto: CurveCrypto;
  readonly serverSecret: Uint8Array;
  readonly serverPublic: Uint8Array;
  readonly clientSecret: Uint8Array;
  readonly clientPublic: Uint8Array;
}

const fill = (byte: number, length: number): Uint8Array => new Uint8Array(length).fill(byte);

function curveKeys(crypto: CurveCrypto): CurveKeys {
  const serverSecret = fill(0x11, 32);
  const clientSecret = fill(0x22, 32);
  return {
    crypto,
    serverSecret,
    serverPublic: crypto.publicKey(serverSecret),
    clientSecret,
    clientPublic: crypto.publicKey(clientSecret),
  };
}

const CURVE_CLIENT_INPUTS: CurveTestInputs = {
  transientSecret: fill(0x33, 32),
  vouchNonce: fill(0x34, 16),
};
const CURVE_SERVER_INPUTS: CurveTestInputs = {
  transientSecret: fill(0x44, 32),
  cookieKey: fill(0x45, 32),
  welcomeNonce: fill(0x46, 16),
  cookieNonce: fill(0x47, 16),
};

function curveClient(keys: CurveKeys): CurveMechanism {
  return new CurveMechanism(keys.crypto, {
    server: false,
    serverKey: keys.serverPublic,
    publicKey: keys.clientPublic,
    secretKey: keys.clientSecret,
  }, CURVE_CLIENT_INPUTS);
}

function curveServer(keys: CurveKeys): CurveMechanism {
  return new CurveMechanism(
    keys.crypto,
    { server: true, secretKey: keys.serverSecret },
    CURVE_SERVER_INPUTS,
  );
}

const plainClient = (): PlainMechanism =>
  new PlainMechanism({ server: false, username: ascii("admin"), password: ascii("secret") });
const plainServer = (): PlainMechanism => new PlainMechanism({ server: true });

/** Every command parser on one body: name, ERROR reason, metadata, each mechanism's steps. */
const command = (corpus: Uint8Array[], keys: CurveKeys): FuzzTarget => ({
  name: "command",
  corpus,
  run(body) {
    const name = commandName(body);
    if (name instanceof ZmqError) {
      if (name.code !== "EPROTO") throw new InvariantError(`commandName code ${name.code}`);
      return;
    }
    if (typeof name !== "string" || name.length !== body[0]) {
      throw new InvariantError(`commandName returned ${String(name)}`);
    }
    if (typeof errorReason(body) !== "string") throw new InvariantError("errorReason");
    const metadata = Metadata.parse(body, commandDataOffset(body));
    if (!(metadata instanceof Metadata) && !(metadata instanceof ZmqError)) {
      throw new InvariantError(`Metadata.parse returned ${String(metadata)}`);
    }
    const steps: [string, Mechanism][] = [
      ["NULL", new NullMechanism()],
      ["NULL with ZAP", new NullMechanism(true)],
      ["PLAIN server", plainServer()],
      ["PLAIN client", plainClient()],
      ["CURVE server", curveServer(keys)],
      ["CURVE client", curveClient(keys)],
    ];
    for (const [what, mechanism] of steps) {
      mechanism.start(quietHost);
      // As the command itself, then as each name the mechanism expects with this body's data.
      checkStep(mechanism.command(quietHost, name, body), `${what} ${name}`);
    }
    for (const expected of ["READY", "HELLO", "WELCOME", "INITIATE"]) {
      const renamed = concatBytes([
        commandBody(expected),
        body.subarray(commandDataOffset(body)),
      ]);
      for (
        const [what, mechanism] of [
          ["NULL", new NullMechanism()],
          ["PLAIN server", plainServer()],
          ["PLAIN client", plainClient()],
          ["CURVE server", curveServer(keys)],
          ["CURVE client", curveClient(keys)],
        ] as const
      ) {
        mechanism.start(quietHost);
        checkStep(mechanism.command(quietHost, expected, renamed), `${what} ${expected}`);
      }
    }
  },
});

const metadata = (corpus: Uint8Array[]): FuzzTarget => ({
  name: "metadata",
  corpus,
  run(input) {
    const parsed = Metadata.parse(input, 0);
    if (parsed instanceof ZmqError) {
      if (parsed.code !== "EPROTO") throw new InvariantError(`metadata code ${parsed.code}`);
      return;
    }
    // The encoding has no slack: what parses must encode back to the same bytes.
    const encoded = parsed.encode();
    if (!bytesEqual(encoded, input)) {
      throw new InvariantError(`metadata re-encodes as ${toHex(encoded)}, not ${toHex(input)}`);
    }
    for (const [name, value] of parsed.entries()) {
      // Names compare without regard to ASCII case (the names ZMTP allows are ASCII).
      const found = parsed.get(name.replace(/[a-z]/g, (c) => c.toUpperCase()));
      if (found === undefined || (parsed.get(name) !== found)) {
        throw new InvariantError(`property ${JSON.stringify(name)} not found by name`);
      }
      if (value.buffer === input.buffer) throw new InvariantError("value shares the input buffer");
    }
  },
});

const z85 = (corpus: Uint8Array[]): FuzzTarget => ({
  name: "z85",
  corpus,
  run(input) {
    const whole = input.subarray(0, input.length - (input.length % 4));
    const text = z85Encode(whole);
    if (text.length !== (whole.length / 4) * 5) throw new InvariantError("encoded length");
    if (whole.length > 0 && !bytesEqual(z85Decode(text), whole)) {
      throw new InvariantError(`z85 round trip of ${toHex(whole)}`);
    }
    if (input.length % 4 !== 0) expectZmqError(() => z85Encode(input), "z85Encode");
    // The bytes as text: either refused with EINVAL, or decoded to what encodes back to the text.
    const asText = fromAscii(input);
    let decoded: Uint8Array | undefined;
    try {
      decoded = z85Decode(asText);
    } catch (error) {
      if (!(error instanceof ZmqError) || error.code !== "EINVAL") throw error;
    }
    if (decoded !== undefined && z85Encode(decoded) !== asText) {
      throw new InvariantError(`z85 text ${JSON.stringify(asText)} decodes to what encodes else`);
    }
  },
});

function expectZmqError(run: () => unknown, what: string): void {
  try {
    run();
  } catch (error) {
    if (error instanceof ZmqError && error.code === "EINVAL") return;
    throw error;
  }
  throw new InvariantError(`${what} accepted a bad input`);
}

/** Sizes the session targets are run with: no limit, and one the recorded traffic exceeds. */
const SESSION_LIMITS = [-1, 1000];
const AUTH_STATUSES: AuthMode[] = ["200", "200", "300", "400", "500"];

function sessionTarget(
  name: string,
  corpus: Uint8Array[],
  setups: readonly SessionSetup[],
): FuzzTarget {
  return {
    name,
    corpus,
    run(input) {
      const cuts = chunkings(input);
      for (const setup of setups) {
        const traces = cuts.map((chunks) => driveSession(setup, chunks, "sync"));
        sameTraces(traces, `session ${setup.socketType} limit ${setup.maxMessageSize}`);
        // The authenticator answering between reads, with a status chosen by the input.
        const status = AUTH_STATUSES[hashBytes(input) % AUTH_STATUSES.length];
        driveSession(setup, cuts[2], status);
      }
    },
    trace: (input) => driveSession(setups[0], [input], "sync"),
  };
}

function setups(
  socketType: SessionSetup["socketType"],
  mechanism: () => Mechanism,
): SessionSetup[] {
  return SESSION_LIMITS.map((maxMessageSize) => ({ socketType, mechanism, maxMessageSize }));
}

/** Streams recorded from both sides, with and without a closing ERROR, and their handshake parts. */
function recordings(
  client: () => Mechanism,
  server: () => Mechanism,
): { fromClient: Uint8Array[]; fromServer: Uint8Array[] } {
  const fromClient: Uint8Array[] = [];
  const fromServer: Uint8Array[] = [];
  for (const ending of [false, true]) {
    const recorded = record("DEALER", client(), "ROUTER", server(), ending);
    fromClient.push(recorded.fromClient);
    fromServer.push(recorded.fromServer);
  }
  return { fromClient, fromServer };
}

/** Frames of a stream after its greeting, as the decoder and command targets want them. */
function commandBodies(stream: Uint8Array): Uint8Array[] {
  const bodies: Uint8Array[] = [];
  new FrameDecoder({
    frame: (flags, body) => {
      if ((flags & 0x04) !== 0) bodies.push(body.slice());
      return true;
    },
  }).push(stream, 64);
  return bodies;
}

/**
 * Builds every target, with its corpus recorded from our own sessions (and
 * any saved extra corpus); loads libsodium for the CURVE ones.
 *
 * @example
 * ```ts
 * for (const target of await loadTargets()) target.run(target.corpus[0]);
 * ```
 */
export async function loadTargets(extra: Record<string, Uint8Array[]> = {}): Promise<FuzzTarget[]> {
  const keys = curveKeys(await loadSodiumCrypto());
  const nulls = recordings(() => new NullMechanism(), () => new NullMechanism());
  const plains = recordings(plainClient, plainServer);
  const curves = recordings(() => curveClient(keys), () => curveServer(keys));
  const streams = [nulls, plains, curves].flatMap((r) => [...r.fromClient, ...r.fromServer]);
  const bodies = streams.flatMap(commandBodies);
  const metadataBodies = [
    new Metadata([["Socket-Type", ascii("DEALER")], ["Identity", ascii("id")]]).encode(),
    new Metadata([["User-Id", ascii("u")], ["X-Long", fill(0x41, 300)]]).encode(),
    new Uint8Array(0),
  ];
  const greetings = (["NULL", "PLAIN", "CURVE"] as const).flatMap((mechanism) =>
    [false, true].map((asServer) => encodeGreeting({ mechanism, asServer, routingIdLength: 5 }))
  );
  const more = (name: string): Uint8Array[] => extra[name] ?? [];
  return [
    frameDecoder([...streams.map((s) => s.subarray(64)), ...more("frame_decoder")]),
    greeting([...greetings, ...more("greeting")]),
    command([...bodies, ...more("command")], keys),
    metadata([...metadataBodies, ...more("metadata")]),
    z85([ascii("HelloWorld"), keys.serverPublic, keys.clientPublic, ...more("z85")]),
    sessionTarget("session_null_server", [...nulls.fromClient, ...more("session_null_server")], [
      ...setups("ROUTER", () => new NullMechanism()),
      ...setups("ROUTER", () => new NullMechanism(true)),
    ]),
    sessionTarget(
      "session_null_client",
      [...nulls.fromServer, ...more("session_null_client")],
      setups("DEALER", () => new NullMechanism()),
    ),
    sessionTarget(
      "session_plain_server",
      [...plains.fromClient, ...more("session_plain_server")],
      setups("ROUTER", plainServer),
    ),
    sessionTarget(
      "session_plain_client",
      [...plains.fromServer, ...more("session_plain_client")],
      setups("DEALER", plainClient),
    ),
    sessionTarget(
      "session_curve_server",
      [...curves.fromClient, ...more("session_curve_server")],
      setups("ROUTER", () => curveServer(keys)),
    ),
    sessionTarget(
      "session_curve_client",
      [...curves.fromServer, ...more("session_curve_client")],
      setups("DEALER", () => curveClient(keys)),
    ),
  ];
}
