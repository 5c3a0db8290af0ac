/**
 * A byte-wise prefix tree of subscriptions with a count per topic: finding
 * whether any topic is a prefix of a message walks the message's first bytes
 * once, whatever the number of topics.
 *
 * @example
 * ```ts
 * const trie = new PrefixTrie();
 * trie.add(utf8("news."));
 * trie.matches(utf8("news.sport")); // true
 * ```
 */
export class PrefixTrie {
  readonly #root = new TrieNode();
  #topics = 0;

  /** Number of distinct topics. */
  get size(): number {
    return this.#topics;
  }

  /** Adds one count of `topic`; true when the topic is new. */
  add(topic: Uint8Array): boolean {
    let node = this.#root;
    for (const byte of topic) {
      let child = node.children.get(byte);
      if (child === undefined) node.children.set(byte, child = new TrieNode());
      node = child;
    }
    node.count++;
    if (node.count === 1) this.#topics++;
    return node.count === 1;
  }

  /** Whether `topic` itself is present. */
  has(topic: Uint8Array): boolean {
    let node: TrieNode | undefined = this.#root;
    for (let i = 0; i < topic.length && node !== undefined; i++) node = node.children.get(topic[i]);
    return node !== undefined && node.count > 0;
  }

  /** Removes one count of `topic`; true when its last count went. False if absent. */
  remove(topic: Uint8Array): boolean {
    const path: TrieNode[] = [this.#root];
    let node = this.#root;
    for (const byte of topic) {
      const child = node.children.get(byte);
      if (child === undefined) return false;
      node = child;
      path.push(node);
    }
    if (node.count === 0) return false;
    node.count--;
    if (node.count > 0) return false;
    this.#topics--;
    // Prune branches that no longer lead to a topic, so memory follows the subscriptions.
    for (let depth = topic.length; depth > 0; depth--) {
      const current = path[depth];
      if (current.count > 0 || current.children.size > 0) break;
      path[depth - 1].children.delete(topic[depth - 1]);
    }
    return true;
  }

  /** Removes every topic. */
  clear(): void {
    this.#root.children.clear();
    this.#root.count = 0;
    this.#topics = 0;
  }

  /** Whether some topic is a prefix of `data` (the empty topic matches everything). */
  matches(data: Uint8Array): boolean {
    let node: TrieNode | undefined = this.#root;
    if (node.count > 0) return true;
    for (let i = 0; i < data.length; i++) {
      node = node.children.get(data[i]);
      if (node === undefined) return false;
      if (node.count > 0) return true;
    }
    return false;
  }

  /** Every topic with its count. */
  *topics(): IterableIterator<[Uint8Array, number]> {
    const stack: [TrieNode, number[]][] = [[this.#root, []]];
    while (stack.length > 0) {
      const [node, bytes] = stack.pop()!;
      if (node.count > 0) yield [Uint8Array.from(bytes), node.count];
      for (const [byte, child] of node.children) stack.push([child, [...bytes, byte]]);
    }
  }
}

class TrieNode {
  count = 0;
  readonly children = new Map<number, TrieNode>();
}
