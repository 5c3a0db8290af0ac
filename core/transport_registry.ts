import type { Endpoint } from "./endpoint.ts";
import { ZmqError } from "./errors.ts";
import type { Transport } from "./transport.ts";

/** The byte-stream schemes a runtime adapter provides. */
export type StreamScheme = "tcp" | "ipc";

const transports = new Map<StreamScheme, Transport>();
let loadDefault: (() => Promise<void>) | undefined;
let loading: Promise<void> | undefined;

/**
 * Makes `transport` serve every endpoint of `scheme`, replacing any earlier one.
 *
 * @example
 * ```ts
 * registerTransport("tcp", nodeTransport);
 * ```
 */
export function registerTransport(scheme: StreamScheme, transport: Transport): void {
  transports.set(scheme, transport);
}

/**
 * Sets what to run, once, when a transport is needed and none is registered:
 * the public entry point uses it to load the adapter of the runtime in use,
 * so that no other runtime's adapter is ever imported.
 *
 * @example
 * ```ts
 * setDefaultTransportLoader(async () => { await import("./adapters/auto.ts"); });
 * ```
 */
export function setDefaultTransportLoader(load: () => Promise<void>): void {
  loadDefault = load;
}

/**
 * The transport serving `endpoint`'s scheme, loading the runtime's default
 * adapters on first use.
 *
 * @example
 * ```ts
 * const transport = await resolveTransport(parseEndpoint("tcp://127.0.0.1:5555"));
 * ```
 */
export async function resolveTransport(endpoint: Endpoint): Promise<Transport> {
  if (endpoint.transport === "inproc") {
    throw new ZmqError("ENOTSUP", "inproc endpoints do not use a byte-stream transport");
  }
  let transport = transports.get(endpoint.transport);
  if (transport === undefined && loadDefault !== undefined) {
    loading ??= loadDefault();
    await loading;
    transport = transports.get(endpoint.transport);
  }
  if (transport === undefined) {
    throw new ZmqError(
      "ENOTSUP",
      `no transport for "${endpoint.transport}" endpoints in this runtime`,
    );
  }
  return transport;
}
