/** adapters/stream_endpoint.ts: what a byte-stream transport accepts, and the bind host. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertBindable, assertConnectable, bindHost } from "../../adapters/stream_endpoint.ts";
import { formatEndpoint, parseEndpoint } from "../../core/endpoint.ts";
import { ZmqError } from "../../core/errors.ts";

function check(assertion: typeof assertBindable, address: string): void {
  const endpoint = parseEndpoint(address);
  assertion(endpoint, formatEndpoint(endpoint));
}

function rejects(assertion: typeof assertBindable, address: string, code: string): string {
  let message = "";
  assert.throws(() => check(assertion, address), (error: unknown) => {
    assert.ok(error instanceof ZmqError);
    assert.equal(error.code, code);
    message = error.message;
    return true;
  });
  return message;
}

describe("assertBindable", () => {
  test("tcp and ipc, the wildcard host included, pass", () => {
    check(assertBindable, "tcp://127.0.0.1:0");
    check(assertBindable, "tcp://*:5555");
    check(assertBindable, "ipc:///tmp/feed.sock");
  });

  test("inproc is ENOTSUP, naming the endpoint", () => {
    assert.equal(
      rejects(assertBindable, "inproc://feed", "ENOTSUP"),
      "cannot bind inproc://feed: inproc is not a byte-stream transport",
    );
  });
});

describe("assertConnectable", () => {
  test("tcp and ipc pass", () => {
    check(assertConnectable, "tcp://127.0.0.1:5555");
    check(assertConnectable, "ipc:///tmp/feed.sock");
  });

  test("inproc is ENOTSUP, the wildcard host EINVAL", () => {
    assert.equal(
      rejects(assertConnectable, "inproc://feed", "ENOTSUP"),
      "cannot connect to inproc://feed: inproc is not a byte-stream transport",
    );
    assert.equal(
      rejects(assertConnectable, "tcp://*:5555", "EINVAL"),
      'cannot connect to tcp://*:5555: "*" is only valid for bind',
    );
  });
});

test("bindHost: * is every IPv4 interface, any other host is kept", () => {
  assert.equal(bindHost("*"), "0.0.0.0");
  assert.equal(bindHost("::1"), "::1");
  assert.equal(bindHost("localhost"), "localhost");
});
