/**
 * adapters/ipc_path.ts: stale socket removal and removal of the listener's
 * own file, against an in-memory file system, so that every branch is
 * reached without racing real processes. The real runtimes' calls are
 * covered by tests/adapters/transport.test.ts ("ipc socket files").
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { errnoMeaning, errnoOf, errorMapper } from "../../adapters/errors.ts";
import {
  BoundSocketFile,
  type IpcFiles,
  removeStaleSocket,
  type SocketFileInfo,
} from "../../adapters/ipc_path.ts";
import { ZmqError } from "../../core/errors.ts";

const PATH = "/run/feed.sock";
const TARGET = "ipc:///run/feed.sock";

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: ${PATH}`), { code });
}

/** An in-memory file system with one path, recording what was called. */
class FakeFiles implements IpcFiles {
  file: SocketFileInfo | undefined;
  probeResult: "live" | "refused" | "unknown" = "refused";
  lstatError: Error | undefined;
  removeError: Error | undefined;
  calls: string[] = [];
  toZmqError = errorMapper(errnoMeaning);

  constructor(file?: SocketFileInfo) {
    this.file = file;
  }

  lstat(path: string): Promise<SocketFileInfo> {
    this.calls.push(`lstat ${path}`);
    if (this.lstatError !== undefined) return Promise.reject(this.lstatError);
    if (this.file === undefined) return Promise.reject(errno("ENOENT"));
    return Promise.resolve(this.file);
  }

  remove(path: string): Promise<void> {
    this.calls.push(`remove ${path}`);
    if (this.removeError !== undefined) return Promise.reject(this.removeError);
    if (this.file === undefined) return Promise.reject(errno("ENOENT"));
    this.file = undefined;
    return Promise.resolve();
  }

  isNotFound(error: unknown): boolean {
    return errnoOf(error) === "ENOENT";
  }

  probe(path: string): Promise<"live" | "refused" | "unknown"> {
    this.calls.push(`probe ${path}`);
    return Promise.resolve(this.probeResult);
  }
}

const socket = (ino: number | null = 1): SocketFileInfo => ({ isSocket: true, dev: 7, ino });

async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ZmqError);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe("removeStaleSocket", () => {
  test("no file: nothing to do", async () => {
    const files = new FakeFiles();
    await removeStaleSocket(PATH, TARGET, files);
    assert.deepEqual(files.calls, [`lstat ${PATH}`]);
  });

  test("a socket nobody listens on is removed", async () => {
    const files = new FakeFiles(socket());
    await removeStaleSocket(PATH, TARGET, files);
    assert.deepEqual(files.calls, [`lstat ${PATH}`, `probe ${PATH}`, `remove ${PATH}`]);
    assert.equal(files.file, undefined);
  });

  test("a socket someone listens on is EADDRINUSE and stays", async () => {
    const files = new FakeFiles(socket());
    files.probeResult = "live";
    await rejectsWith(
      removeStaleSocket(PATH, TARGET, files),
      "EADDRINUSE",
      /^cannot bind ipc:\/\/\/run\/feed\.sock: another process is listening on it$/,
    );
    assert.notEqual(files.file, undefined);
  });

  test("a file that is not a socket is EADDRINUSE, without a probe", async () => {
    const files = new FakeFiles({ isSocket: false, dev: 7, ino: 1 });
    await rejectsWith(
      removeStaleSocket(PATH, TARGET, files),
      "EADDRINUSE",
      /: \/run\/feed\.sock exists and is not a socket$/,
    );
    assert.deepEqual(files.calls, [`lstat ${PATH}`]);
  });

  test("a probe that fails otherwise leaves the file for the bind to report", async () => {
    const files = new FakeFiles(socket());
    files.probeResult = "unknown";
    await removeStaleSocket(PATH, TARGET, files);
    assert.notEqual(files.file, undefined);
  });

  test("lstat failing otherwise is mapped by the runtime's mapping", async () => {
    const files = new FakeFiles(socket());
    files.lstatError = errno("EACCES");
    await rejectsWith(removeStaleSocket(PATH, TARGET, files), "EACCES", /^cannot bind ipc:/);
  });

  test("a file gone before removal is fine; a failed removal is reported", async () => {
    const gone = new FakeFiles(socket());
    gone.removeError = errno("ENOENT");
    await removeStaleSocket(PATH, TARGET, gone);

    const denied = new FakeFiles(socket());
    denied.removeError = errno("EPERM");
    await rejectsWith(removeStaleSocket(PATH, TARGET, denied), "EACCES", /^cannot bind ipc:/);
  });
});

describe("BoundSocketFile", () => {
  test("removes the file it identified", async () => {
    const files = new FakeFiles(socket(1));
    const bound = await BoundSocketFile.identify(PATH, files);
    await bound.remove();
    assert.equal(files.file, undefined);
  });

  test("leaves a file bound at the same path since", async () => {
    const files = new FakeFiles(socket(1));
    const bound = await BoundSocketFile.identify(PATH, files);
    files.file = socket(2);
    await bound.remove();
    assert.deepEqual(files.file, socket(2));
  });

  test("a runtime without inode numbers still compares by device and null", async () => {
    const files = new FakeFiles(socket(null));
    const bound = await BoundSocketFile.identify(PATH, files);
    await bound.remove();
    assert.equal(files.file, undefined);
  });

  test("never identified, already gone, or failing to remove: no error", async () => {
    const missing = new FakeFiles();
    const never = await BoundSocketFile.identify(PATH, missing);
    missing.file = socket();
    await never.remove();
    assert.notEqual(missing.file, undefined, "a file never identified is not ours to remove");

    const files = new FakeFiles(socket());
    const bound = await BoundSocketFile.identify(PATH, files);
    files.file = undefined;
    await bound.remove();

    const stuck = new FakeFiles(socket());
    const held = await BoundSocketFile.identify(PATH, stuck);
    stuck.removeError = errno("EBUSY");
    await held.remove();
  });
});
