/**
 * monocoque: ZeroMQ in pure TypeScript. It speaks the ZMTP 3.1 wire protocol
 * and implements the ZeroMQ socket types, so the same code runs on Node.js,
 * Deno and Bun and talks to every libzmq program.
 *
 * The transport of the runtime in use is loaded on first bind or connect;
 * import `monocoque/node`, `/deno` or `/bun` to choose it explicitly.
 *
 * @example
 * ```ts
 * import { Dealer, Router } from "monocoque";
 *
 * const router = new Router();
 * await router.bind("tcp://127.0.0.1:0");
 * const dealer = new Dealer();
 * dealer.connect(router.lastEndpoint!);
 * await dealer.send("hello");
 * const [id, greeting] = await router.receive();
 * await router.send([id, "world"]);
 * ```
 *
 * @module
 */

import { setDefaultTransportLoader } from "./core/transport_registry.ts";

setDefaultTransportLoader(async () => {
  const { registerRuntimeTransports } = await import("./adapters/auto.ts");
  await registerRuntimeTransports();
});

export { ZmqError, type ZmqErrorCode } from "./core/errors.ts";
export {
  type Endpoint,
  formatEndpoint,
  type InprocEndpoint,
  type IpcEndpoint,
  parseEndpoint,
  type TcpEndpoint,
} from "./core/endpoint.ts";
export type {
  AcceptConnection,
  Connection,
  ConnectionHandler,
  Listener,
  Transport,
} from "./core/transport.ts";
export type { MechanismName } from "./zmtp/greeting.ts";
export type { SocketTypeName } from "./zmtp/socket_type.ts";
export { registerTransport, type StreamScheme } from "./core/transport_registry.ts";
export { Socket } from "./sockets/socket.ts";
export type { ConnectOptions, SocketOptions } from "./sockets/options.ts";
export type { WaitOptions } from "./sockets/socket.ts";
export type { FrameLike, Message } from "./sockets/message.ts";
export type {
  SocketEvent,
  SocketEventListener,
  SocketEvents,
  SocketEventType,
} from "./sockets/socket_events.ts";
export { Dealer, type DealerOptions } from "./sockets/dealer.ts";
export { Router, type RouterOptions } from "./sockets/router.ts";
export { Publisher, type PublisherOptions } from "./sockets/publisher.ts";
export { Subscriber, type SubscriberOptions } from "./sockets/subscriber.ts";
export { Stream, type StreamConnectOptions, type StreamOptions } from "./sockets/stream.ts";
export { Push, type PushOptions } from "./sockets/push.ts";
export { Pull, type PullOptions } from "./sockets/pull.ts";
export { Pair, type PairOptions } from "./sockets/pair.ts";
export { Request, type RequestOptions } from "./sockets/request.ts";
export { Reply, type ReplyOptions } from "./sockets/reply.ts";
export { type Verbosity, XPublisher, type XPublisherOptions } from "./sockets/xpublisher.ts";
export { XSubscriber, type XSubscriberOptions } from "./sockets/xsubscriber.ts";
export { Proxy, type SendingSocket } from "./sockets/proxy.ts";
export { z85Decode, z85Encode } from "./core/z85.ts";
export { curveKeyPair } from "./sockets/curve_loader.ts";
export type { CurveKey } from "./sockets/security.ts";
export {
  type AuthDecision,
  Authenticator,
  type AuthenticatorOptions,
  type AuthRequest,
} from "./sockets/authenticator.ts";
