import type { Pipe } from "./pipe.ts";

/** What removing one pipe's subscription to a topic did. */
export type PipeTrieRemoval = "last" | "remain" | "absent";

/**
 * The subscriptions of a publisher (libzmq's mtrie): a byte-wise prefix tree
 * whose nodes hold the set of pipes subscribed to that topic. Matching a
 * message walks its first bytes once, whatever the number of subscribers;
 * a pipe is in a topic's set at most once, so one CANCEL undoes any number
 * of SUBSCRIBEs from it, as in libzmq's XPUB.
 *
 * @example
 * ```ts
 * const trie = new PipeTrie();
 * trie.add(utf8("news."), pipe);            // true: the first subscriber
 * trie.match(utf8("news.sport"), (p) => p.send(message));
 * trie.remove(utf8("news."), pipe);         // "last"
 * ```
 */
export class PipeTrie {
  readonly #root = new PipeTrieNode();

  /** Adds `pipe` to `topic`'s subscribers; true when the topic had none before. */
  add(topic: Uint8Array, pipe: Pipe): boolean {
    let node = this.#root;
    for (const byte of topic) {
      let child = node.children.get(byte);
      if (child === undefined) node.children.set(byte, child = new PipeTrieNode());
      node = child;
    }
    const first = node.pipes.size === 0;
    node.pipes.add(pipe);
    return first;
  }

  /**
   * Removes `pipe` from `topic`'s subscribers: "last" when it was the last
   * one, "remain" when others are left, "absent" when it was not subscribed.
   */
  remove(topic: Uint8Array, pipe: Pipe): PipeTrieRemoval {
    const path: PipeTrieNode[] = [this.#root];
    let node = this.#root;
    for (const byte of topic) {
      const child = node.children.get(byte);
      if (child === undefined) return "absent";
      node = child;
      path.push(node);
    }
    if (!node.pipes.delete(pipe)) return "absent";
    if (node.pipes.size > 0) return "remain";
    // Prune branches that no longer lead to a subscription, so memory follows the subscriptions.
    for (let depth = topic.length; depth > 0 && path[depth].isEmpty; depth--) {
      path[depth - 1].children.delete(topic[depth - 1]);
    }
    return "last";
  }

  /**
   * Removes `pipe` from every topic, calling `removed(topic, last)` for each
   * topic it was subscribed to (`last` when no subscriber is left).
   */
  removePipe(pipe: Pipe, removed: (topic: Uint8Array, last: boolean) => void): void {
    // Iterative, as a topic may be long enough to overflow the stack of a recursive walk.
    const path: number[] = [];
    const visited: [node: PipeTrieNode, parent: PipeTrieNode, byte: number][] = [];
    const stack: [
      node: PipeTrieNode,
      parent: PipeTrieNode | undefined,
      byte: number,
      depth: number,
    ][] = [[this.#root, undefined, 0, 0]];
    for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
      const [node, parent, byte, depth] = entry;
      // Depth first: the last node seen one level up is this node's parent, so `path` is its topic.
      if (parent !== undefined) {
        path.length = depth - 1;
        path.push(byte);
        visited.push([node, parent, byte]);
      }
      if (node.pipes.delete(pipe)) removed(Uint8Array.from(path), node.pipes.size === 0);
      for (const [next, child] of node.children) stack.push([child, node, next, depth + 1]);
    }
    // Children come after their parents in `visited`: prune from the end, so memory follows the subscriptions.
    for (let i = visited.length - 1; i >= 0; i--) {
      const [node, parent, byte] = visited[i];
      if (node.isEmpty) parent.children.delete(byte);
    }
  }

  /**
   * Calls `visit` for every pipe subscribed to a prefix of `data` (the empty
   * topic is a prefix of everything); a pipe subscribed to several such
   * prefixes is visited once per prefix.
   */
  match(data: Uint8Array, visit: (pipe: Pipe) => void): void {
    const sets: ReadonlySet<Pipe>[] = [];
    const count = this.collect(data, sets);
    for (let i = 0; i < count; i++) for (const pipe of sets[i]) visit(pipe);
  }

  /**
   * Puts into `sets`, from index 0, the subscriber set of every topic that is
   * a prefix of `data` and has subscribers, shortest first, and returns how
   * many; entries past that count are left as they were. Walks the first
   * bytes of `data` once and allocates nothing once `sets` has grown, so a
   * publisher can route each message without garbage.
   */
  collect(data: Uint8Array, sets: ReadonlySet<Pipe>[]): number {
    let count = 0;
    let node: PipeTrieNode | undefined = this.#root;
    for (let i = 0;; i++) {
      if (node.pipes.size > 0) sets[count++] = node.pipes;
      if (i === data.length || node.children.size === 0) return count;
      node = node.children.get(data[i]);
      if (node === undefined) return count;
    }
  }
}

class PipeTrieNode {
  readonly pipes = new Set<Pipe>();
  readonly children = new Map<number, PipeTrieNode>();

  get isEmpty(): boolean {
    return this.pipes.size === 0 && this.children.size === 0;
  }
}
