/**
 * adapters/errors.ts: the errno table and the mapping every adapter builds
 * on. Runtime-free, so the same assertions hold under Node, Deno and Bun.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZmqError } from "../../core/errors.ts";
import { errnoCode, errnoMeaning, errnoOf, errorMapper } from "../../adapters/errors.ts";

function errno(code: unknown, message = "failed"): Error {
  return Object.assign(new Error(message), { code });
}

describe("errnoOf / errnoCode", () => {
  test("reads `code` of anything, undefined when absent", () => {
    assert.equal(errnoOf(errno("EPIPE")), "EPIPE");
    assert.equal(errnoOf(new Error("x")), undefined);
    assert.equal(errnoOf(null), undefined);
    assert.equal(errnoOf(undefined), undefined);
    assert.equal(errnoOf("text"), undefined);
  });

  test("folds errno names onto the documented codes", () => {
    const cases: [string, string][] = [
      ["EADDRINUSE", "EADDRINUSE"],
      ["ECONNABORTED", "ECONNRESET"],
      ["EPIPE", "ECONNRESET"],
      ["ENETUNREACH", "EHOSTUNREACH"],
      ["ENETDOWN", "EHOSTUNREACH"],
      ["EPERM", "EACCES"],
      ["ENOTSOCK", "ENOTSOCK"],
    ];
    for (const [name, code] of cases) assert.equal(errnoCode(name), code, name);
    assert.equal(errnoCode("EMFILE"), undefined);
    // Deno alone maps it; the shared table must not.
    assert.equal(errnoCode("ENOTCONN"), undefined);
  });
});

describe("errnoMeaning", () => {
  test("resolver errnos mean a failed lookup", () => {
    for (const name of ["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL", "EAI_NODATA"]) {
      assert.equal(errnoMeaning(errno(name)), "resolve", name);
    }
  });

  test("other errnos go through the table; no string errno means nothing", () => {
    assert.equal(errnoMeaning(errno("ECONNREFUSED")), "ECONNREFUSED");
    assert.equal(errnoMeaning(errno("EMFILE")), undefined);
    assert.equal(errnoMeaning(errno(111)), undefined);
    assert.equal(errnoMeaning(new Error("x")), undefined);
  });
});

describe("errorMapper", () => {
  const toZmqError = errorMapper(errnoMeaning);

  test("passes a ZmqError through as is", () => {
    const error = new ZmqError("EPROTO", "bad greeting");
    assert.equal(toZmqError(error, "io", "connection failed"), error);
  });

  test("a known errno gives its code, the message and the cause", () => {
    const cause = errno("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1");
    const error = toZmqError(cause, "connect", "cannot connect to tcp://127.0.0.1:1");
    assert.ok(error instanceof ZmqError);
    assert.equal(error.code, "ECONNREFUSED");
    assert.equal(
      error.message,
      "cannot connect to tcp://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1",
    );
    assert.equal(error.cause, cause);
  });

  test("a failed lookup is EADDRNOTAVAIL on listen, EHOSTUNREACH otherwise", () => {
    const lookup = errno("ENOTFOUND");
    assert.equal(toZmqError(lookup, "listen", "m").code, "EADDRNOTAVAIL");
    assert.equal(toZmqError(lookup, "connect", "m").code, "EHOSTUNREACH");
    assert.equal(toZmqError(lookup, "io", "m").code, "EHOSTUNREACH");
  });

  test("an unknown error falls back on what was being done", () => {
    assert.equal(toZmqError(errno("EMFILE"), "connect", "m").code, "ECONNREFUSED");
    assert.equal(toZmqError(errno("EMFILE"), "listen", "m").code, "EADDRINUSE");
    assert.equal(toZmqError(errno("EMFILE"), "io", "m").code, "ECONNRESET");
  });

  test("a thrown non-Error is described with String()", () => {
    const error = toZmqError("socket hang up", "io", "connection with x failed");
    assert.equal(error.message, "connection with x failed: socket hang up");
    assert.equal(error.cause, "socket hang up");
  });

  test("the runtime's meaning decides", () => {
    const custom = errorMapper((error) => errnoOf(error) === "WEIRD" ? "ETIMEDOUT" : undefined);
    assert.equal(custom(errno("WEIRD"), "io", "m").code, "ETIMEDOUT");
    assert.equal(custom(errno("EPIPE"), "connect", "m").code, "ECONNREFUSED");
  });
});
