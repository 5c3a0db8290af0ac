/**
 * Valid byte streams to mutate, recorded from real handshakes between two of
 * our sessions: each side's greeting, handshake commands and then traffic of
 * every kind (single and multipart messages, empty and long frames, PING,
 * PONG, SUBSCRIBE, CANCEL, an unknown command, ERROR).
 *
 * @module
 */

import { ascii, concatBytes } from "../core/bytes.ts";
import { commandBody, errorCommand, pingCommand } from "../zmtp/commands.ts";
import type { Mechanism } from "../zmtp/mechanism.ts";
import { Metadata } from "../zmtp/metadata.ts";
import { Session } from "../zmtp/session.ts";
import type { SocketTypeName } from "../zmtp/socket_type.ts";

/** What each side sent, from its greeting on. */
export interface Recording {
  /** Everything the connecting side (client) sent. */
  readonly fromClient: Uint8Array;
  /** Everything the accepting side (server) sent. */
  readonly fromServer: Uint8Array;
}

function session(socketType: SocketTypeName, mechanism: Mechanism): Session {
  return new Session(
    {
      socketType,
      routingId: ascii(socketType === "DEALER" ? "client" : ""),
      mechanism,
      maxMessageSize: -1,
      handshakeInterval: 0,
      heartbeatInterval: 0,
      heartbeatTimeToLive: 0,
      heartbeatTimeout: -1,
    },
    { handshakeDone: () => {}, message: () => {}, subscription: () => {} },
  );
}

/** Every kind of traffic one side can send once the handshake is done. */
function traffic(side: Session, ending: boolean): void {
  side.send([ascii("hello")]);
  side.send([new Uint8Array(0), ascii("multi"), ascii("part")]);
  side.send([new Uint8Array(300).fill(0x41)]);
  side.sendCommand(pingCommand(50, ascii("ctx1")));
  side.sendCommand(commandBody("PONG", ascii("ctx2")));
  side.sendSubscription(true, ascii("topic"));
  side.sendSubscription(false, ascii("topic"));
  side.sendCommand(commandBody("X-UNKNOWN", ascii("data")));
  side.send([new Uint8Array(1200).fill(0x42)]);
  side.send([ascii("last")]);
  if (ending) side.sendCommand(errorCommand("closing"));
}

/**
 * Runs a client and a server of the given mechanisms through their
 * handshake and traffic, accepting every authentication request, and
 * returns what each sent. With `ending`, both close with an ERROR command.
 *
 * @example
 * ```ts
 * const { fromClient } = record("DEALER", new NullMechanism(), "ROUTER", new NullMechanism(), false);
 * ```
 */
export function record(
  clientType: SocketTypeName,
  clientMechanism: Mechanism,
  serverType: SocketTypeName,
  serverMechanism: Mechanism,
  ending: boolean,
): Recording {
  const client = session(clientType, clientMechanism);
  const server = session(serverType, serverMechanism);
  const fromClient: Uint8Array[] = [];
  const fromServer: Uint8Array[] = [];
  const pump = (): void => {
    for (let round = 0; round < 100; round++) {
      const request = server.takeAuthRequest();
      if (request !== undefined) {
        server.authenticated({
          statusCode: "200",
          statusText: "OK",
          userId: "user",
          metadata: new Metadata(),
        });
      }
      const a = concatBytes(client.takeOutput());
      const b = concatBytes(server.takeOutput());
      if (a.length === 0 && b.length === 0) return;
      fromClient.push(a);
      fromServer.push(b);
      if (a.length > 0) server.receive(a, 0);
      if (b.length > 0) client.receive(b, 0);
    }
    throw new Error("recorded sessions keep talking");
  };
  client.start(0);
  server.start(0);
  pump();
  if (!client.ready || !server.ready) {
    throw new Error(
      `recorded handshake failed: ${client.error?.message ?? server.error?.message ?? "stalled"}`,
    );
  }
  traffic(client, ending);
  traffic(server, ending);
  pump();
  return { fromClient: concatBytes(fromClient), fromServer: concatBytes(fromServer) };
}
