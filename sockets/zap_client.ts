import { ZmqError } from "../core/errors.ts";
import { decodeZapReply, encodeZapRequest, type ZapReply, type ZapRequest } from "../zmtp/zap.ts";
import { isInprocBound } from "./inproc.ts";

/** Where a ZAP handler binds, in every ZeroMQ implementation (RFC 27). */
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

/**
 * Asks the ZAP handler bound at `inproc://zeromq.zap.01` about a peer, as
 * libzmq's server sessions do: a request with an empty delimiter, request id
 * "1", and a strictly checked reply. Resolves with undefined when no handler
 * is bound (the mechanism decides what that means), with a ZmqError when the
 * reply is malformed.
 *
 * @example
 * ```ts
 * const reply = await askZap(request, signal);
 * ```
 */
export async function askZap(
  request: ZapRequest,
  signal: AbortSignal,
): Promise<ZapReply | ZmqError | undefined> {
  if (!isInprocBound("zeromq.zap.01")) return undefined;
  // Loaded here, not at the top: socket types import the socket base, which uses this module.
  const { Dealer } = await import("./dealer.ts");
  const dealer = new Dealer({ linger: 0 });
  try {
    dealer.connect(ZAP_ENDPOINT);
    await dealer.send([new Uint8Array(0), ...encodeZapRequest(request)], { signal });
    const [delimiter, ...frames] = await dealer.receive({ signal });
    if (delimiter.length !== 0) {
      return new ZmqError("EPROTO", "ZAP reply lacks the empty delimiter");
    }
    return decodeZapReply(frames);
  } finally {
    dealer.close();
  }
}
