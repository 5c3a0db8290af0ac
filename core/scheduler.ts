/**
 * Runs work once the current turn of the event loop is over, so that
 * everything a program does in one turn (many `send`s in a loop) is written
 * to a connection together. A microtask would run between the awaits of that
 * loop, one message at a time; a timer would add a millisecond. So the
 * runtime's "immediate" queue is used where there is one (Node, Deno, Bun
 * all provide `setImmediate`), a MessageChannel elsewhere (browsers).
 */

type Task = () => void;

const globals = globalThis as { setImmediate?: (callback: () => void) => unknown };

let tasks: Task[] = [];
/** The array `tasks` was before the last run, kept empty for the next swap: no array per turn. */
let spare: Task[] = [];
let scheduled = false;

const requestTurn: (run: () => void) => void = (() => {
  const setImmediateFn = globals.setImmediate;
  if (typeof setImmediateFn === "function") return (run) => void setImmediateFn(run);
  if (typeof MessageChannel === "function") {
    const channel = new MessageChannel();
    let pending: (() => void) | undefined;
    channel.port1.onmessage = () => pending?.();
    return (run) => {
      pending = run;
      channel.port2.postMessage(null);
    };
  }
  return (run) => void setTimeout(run, 0);
})();

function runTasks(): void {
  scheduled = false;
  const current = tasks;
  tasks = spare;
  try {
    for (let i = 0; i < current.length; i++) current[i]();
  } finally {
    current.length = 0;
    spare = current;
  }
}

/**
 * Queues `task` for the end of this turn of the event loop. All tasks queued
 * in one turn run together, in order, in one callback.
 *
 * @example
 * ```ts
 * scheduleAfterTurn(() => flush(connection));
 * ```
 */
export function scheduleAfterTurn(task: Task): void {
  tasks.push(task);
  if (!scheduled) {
    scheduled = true;
    requestTurn(runTasks);
  }
}
