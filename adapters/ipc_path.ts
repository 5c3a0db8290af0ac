/**
 * The life of an ipc endpoint's socket file: a stale one is removed before
 * binding, and the listener's own one is removed when it closes. The steps
 * are the same on every runtime; the file and socket calls come from the
 * adapter as an {@link IpcFiles}, so this module stays runtime-free.
 *
 * @module
 */
import { ZmqError } from "../core/errors.ts";
import type { ToZmqError } from "./errors.ts";

/** What the bookkeeping needs to know of a file, from `lstat` (links are not followed). */
export interface SocketFileInfo {
  /** Whether the file is a unix-domain socket. */
  readonly isSocket: boolean;
  /** Device and inode: together they tell one file from another made at the same path. */
  readonly dev: number;
  /** Inode number; `null` where the runtime does not report one. */
  readonly ino: number | null;
}

/**
 * A runtime's file and socket calls, as an adapter provides them.
 *
 * @example
 * ```ts
 * const files: IpcFiles = {
 *   ...nodeSocketFiles, // lstat, remove, isNotFound over node:fs/promises
 *   probe: (path) => connectAndHangUp(path), // the runtime's own unix-socket connect
 *   toZmqError: errorMapper(errnoMeaning),
 * };
 * ```
 */
export interface IpcFiles {
  /** `lstat` of path; rejects with the runtime's error if there is no file. */
  lstat(path: string): Promise<SocketFileInfo>;
  /** Deletes the file at path; rejects with the runtime's error. */
  remove(path: string): Promise<void>;
  /** Whether an error of `lstat` or `remove` says that there is no such file. */
  isNotFound(error: unknown): boolean;
  /**
   * Connects to the socket at path and hangs up: `"live"` when a listener
   * accepted, `"refused"` when none listens there, `"unknown"` for any other
   * failure. Never rejects.
   */
  probe(path: string): Promise<"live" | "refused" | "unknown">;
  /** The runtime's error mapping, for failures of `lstat` and `remove`. */
  toZmqError: ToZmqError;
}

/**
 * Removes a unix socket file left behind by a process that is gone, as
 * libzmq does before binding: no runtime binds over an existing file. Unlike
 * libzmq, a file that is not a socket or a socket someone still listens on
 * is left alone: binding then fails with EADDRINUSE instead of silently
 * stealing the path.
 *
 * @param path the socket file to bind.
 * @param target the endpoint as text, for messages.
 * @param files the runtime's calls.
 * @example
 * ```ts
 * await removeStaleSocket("/tmp/feed.sock", "ipc:///tmp/feed.sock", files);
 * // now bind /tmp/feed.sock
 * ```
 */
export async function removeStaleSocket(
  path: string,
  target: string,
  files: IpcFiles,
): Promise<void> {
  let info: SocketFileInfo;
  try {
    info = await files.lstat(path);
  } catch (error) {
    if (files.isNotFound(error)) return;
    throw files.toZmqError(error, "listen", `cannot bind ${target}`);
  }
  if (!info.isSocket) {
    throw new ZmqError("EADDRINUSE", `cannot bind ${target}: ${path} exists and is not a socket`);
  }
  const probe = await files.probe(path);
  if (probe === "live") {
    throw new ZmqError("EADDRINUSE", `cannot bind ${target}: another process is listening on it`);
  }
  // Only a refused connection proves the file is stale; anything else is left
  // for the bind itself to report.
  if (probe !== "refused") return;
  try {
    await files.remove(path);
  } catch (error) {
    if (!files.isNotFound(error)) throw files.toZmqError(error, "listen", `cannot bind ${target}`);
  }
}

/**
 * The socket file a listener bound, remembered by device and inode: no
 * runtime reports which file it made, and the path alone could name a socket
 * another process bound there since.
 *
 * @example
 * ```ts
 * // right after binding /tmp/feed.sock:
 * const file = await BoundSocketFile.identify("/tmp/feed.sock", files);
 * // when the listener closes:
 * await file.remove();
 * ```
 */
export class BoundSocketFile {
  #path: string;
  #identity: string | undefined;
  #files: IpcFiles;

  private constructor(path: string, identity: string | undefined, files: IpcFiles) {
    this.#path = path;
    this.#identity = identity;
    this.#files = files;
  }

  /**
   * Records which file is at path now; call it right after binding there.
   *
   * @param path the path just bound.
   * @param files the runtime's calls.
   */
  static async identify(path: string, files: IpcFiles): Promise<BoundSocketFile> {
    return new BoundSocketFile(path, await identityOf(path, files), files);
  }

  /**
   * Removes the file if it is still the one that was bound: a socket bound
   * at the path since, or a file that could not be identified, stays. Never
   * rejects; a file left behind is removed as stale by the next bind.
   */
  async remove(): Promise<void> {
    if (this.#identity === undefined) return;
    if (await identityOf(this.#path, this.#files) !== this.#identity) return;
    await this.#files.remove(this.#path).catch(() => {});
  }
}

async function identityOf(path: string, files: IpcFiles): Promise<string | undefined> {
  try {
    const info = await files.lstat(path);
    return `${info.dev}:${info.ino}`;
  } catch {
    return undefined;
  }
}
