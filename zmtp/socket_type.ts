/**
 * The ZeroMQ socket types as named in the READY `Socket-Type` property.
 */
export type SocketTypeName =
  | "PAIR"
  | "PUB"
  | "SUB"
  | "REQ"
  | "REP"
  | "DEALER"
  | "ROUTER"
  | "PULL"
  | "PUSH"
  | "XPUB"
  | "XSUB"
  | "STREAM";

const compatible: Readonly<Record<SocketTypeName, readonly string[]>> = {
  PAIR: ["PAIR"],
  PUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PULL: ["PUSH"],
  PUSH: ["PULL"],
  XPUB: ["SUB", "XSUB"],
  XSUB: ["PUB", "XPUB"],
  STREAM: [],
};

/**
 * Whether a socket of type `ours` may talk to a peer announcing `theirs`
 * (RFC 37's table, which libzmq enforces). The peer's name is compared
 * exactly, as libzmq does.
 *
 * @example
 * ```ts
 * socketTypesCompatible("DEALER", "ROUTER"); // true
 * socketTypesCompatible("PUSH", "SUB");      // false
 * ```
 */
export function socketTypesCompatible(ours: SocketTypeName, theirs: string): boolean {
  return compatible[ours].includes(theirs);
}

/**
 * Whether this socket type announces an `Identity` property in its READY:
 * libzmq sends it for REQ, DEALER and ROUTER only, empty when no routing id
 * is set.
 *
 * @example
 * ```ts
 * sendsIdentity("DEALER"); // true
 * sendsIdentity("PUB");    // false
 * ```
 */
export function sendsIdentity(type: SocketTypeName): boolean {
  return type === "REQ" || type === "DEALER" || type === "ROUTER";
}
