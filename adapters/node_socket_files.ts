/**
 * The file half of {@link IpcFiles} over `node:fs/promises`, which Node and
 * Bun both provide; each adapter adds its own probe and error mapping. Deno
 * uses its own file API instead, so that its adapter imports no `node:`
 * module.
 *
 * @module
 */
import { lstat, unlink } from "node:fs/promises";
import { errnoOf } from "./errors.ts";
import type { IpcFiles } from "./ipc_path.ts";

/**
 * `lstat`, `remove` and `isNotFound` of {@link IpcFiles}, over
 * `node:fs/promises`.
 *
 * @example
 * ```ts
 * const files: IpcFiles = { ...nodeSocketFiles, probe, toZmqError };
 * await removeStaleSocket("/tmp/feed.sock", "ipc:///tmp/feed.sock", files);
 * ```
 */
export const nodeSocketFiles: Pick<IpcFiles, "lstat" | "remove" | "isNotFound"> = {
  async lstat(path) {
    const stats = await lstat(path);
    return { isSocket: stats.isSocket(), dev: stats.dev, ino: stats.ino };
  },
  remove: (path) => unlink(path),
  isNotFound: (error) => errnoOf(error) === "ENOENT",
};
