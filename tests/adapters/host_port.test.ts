/** adapters/host_port.ts: how a tcp peer is named in `remoteAddress`. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { hostPort } from "../../adapters/host_port.ts";

test("hostPort brackets IPv6 and names what is missing", () => {
  assert.equal(hostPort("127.0.0.1", 5555), "127.0.0.1:5555");
  assert.equal(hostPort("::1", 5555), "[::1]:5555");
  assert.equal(hostPort("::ffff:127.0.0.1", 80), "[::ffff:127.0.0.1]:80");
  assert.equal(hostPort(undefined, 80), "unknown:80");
  assert.equal(hostPort("10.0.0.1", undefined), "10.0.0.1:0");
});
