/**
 * One end of the benchmarks with the npm `zeromq` package (libzmq through Node-API, so Node
 * only): the baseline for `bench/monocoque_end.ts`, with the same arguments, protocol and
 * socket use (`bench/end.ts` runs both):
 *
 *     node zeromq_end.ts <case> role=bind|connect|both size=N count=N warmup=N ...
 *
 * Its fastest idiomatic use is the same as monocoque's: default options, one payload buffer
 * reused, `for (...) await socket.send(payload)` (zeromq v6 rejects a second send in flight
 * with EBUSY, so sends are awaited one by one) and `for await (const message of socket)`.
 *
 * @module
 */

import * as zmq from "zeromq";
import { runEnd } from "./end.ts";

await runEnd("zeromq_end.ts", zmq, { libzmq: zmq.version });
