/**
 * Loads the byte-stream transport of the runtime in use, and only that one:
 * the other runtimes' adapters are never imported.
 *
 * @module
 */
import type { Transport } from "../core/transport.ts";
import { registerTransport } from "../core/transport_registry.ts";

async function loadRuntimeTransport(): Promise<Transport> {
  if ("Deno" in globalThis) {
    // Written as a concatenation on purpose: tsc (whose program has no Deno
    // types) does not follow it, while Deno's module graph and bundlers fold
    // it to a static import, so no extra read permission is needed.
    const { denoTransport }: { denoTransport: Transport } = await import(
      "./deno/" + "transport.ts"
    );
    return denoTransport;
  }
  if ("Bun" in globalThis) {
    const { bunTransport } = await import("./bun/transport.ts");
    return bunTransport;
  }
  const { nodeTransport } = await import("./node/transport.ts");
  return nodeTransport;
}

/**
 * Detects the runtime (Deno, Bun, else Node.js), imports its transport and
 * registers it for `tcp` and `ipc` endpoints. Nothing runs at import time;
 * the public entry point calls this on the first bind or connect.
 *
 * @example
 * ```ts
 * import { registerRuntimeTransports } from "./adapters/auto.ts";
 * import { resolveTransport } from "./core/transport_registry.ts";
 * import { parseEndpoint } from "./core/endpoint.ts";
 *
 * await registerRuntimeTransports();
 * const transport = await resolveTransport(parseEndpoint("tcp://127.0.0.1:5555"));
 * ```
 */
export async function registerRuntimeTransports(): Promise<void> {
  const transport = await loadRuntimeTransport();
  registerTransport("tcp", transport);
  registerTransport("ipc", transport);
}
