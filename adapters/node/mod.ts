/**
 * monocoque for Node.js: the whole public API, with the Node.js transport
 * registered for tcp and ipc endpoints up front instead of being detected on
 * first use.
 *
 * @example
 * ```ts
 * import { Dealer } from "monocoque/node";
 *
 * const dealer = new Dealer();
 * dealer.connect("tcp://127.0.0.1:5555");
 * await dealer.send("hello");
 * ```
 *
 * @module
 */
import { registerTransport } from "../../core/transport_registry.ts";
import { nodeTransport } from "./transport.ts";

registerTransport("tcp", nodeTransport);
registerTransport("ipc", nodeTransport);

export { nodeTransport } from "./transport.ts";
export * from "../../mod.ts";
