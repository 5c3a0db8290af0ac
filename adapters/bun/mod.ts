/**
 * monocoque for Bun: the whole public API, with the Bun transport
 * registered for tcp and ipc endpoints up front instead of being detected on
 * first use.
 *
 * @example
 * ```ts
 * import { Dealer } from "monocoque/bun";
 *
 * const dealer = new Dealer();
 * dealer.connect("tcp://127.0.0.1:5555");
 * await dealer.send("hello");
 * ```
 *
 * @module
 */
import { registerTransport } from "../../core/transport_registry.ts";
import { bunTransport } from "./transport.ts";

registerTransport("tcp", bunTransport);
registerTransport("ipc", bunTransport);

export { bunTransport } from "./transport.ts";
export * from "../../mod.ts";
