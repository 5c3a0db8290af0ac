/**
 * monocoque for Deno: the whole public API, with the Deno transport
 * registered for tcp and ipc endpoints up front instead of being detected on
 * first use.
 *
 * @example
 * ```ts
 * import { Dealer } from "monocoque/deno";
 *
 * const dealer = new Dealer();
 * dealer.connect("tcp://127.0.0.1:5555");
 * await dealer.send("hello");
 * ```
 *
 * @module
 */
import { registerTransport } from "../../core/transport_registry.ts";
import { denoTransport } from "./transport.ts";

registerTransport("tcp", denoTransport);
registerTransport("ipc", denoTransport);

export { denoTransport } from "./transport.ts";
export * from "../../mod.ts";
