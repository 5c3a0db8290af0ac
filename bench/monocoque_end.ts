/**
 * One end of the throughput benchmarks with monocoque, run unchanged by `node`,
 * `deno run -A` and `bun`; see `bench/end.ts` for the arguments and the protocol:
 *
 *     monocoque_end.ts <dealer-router|push-pull> <null|curve> receiver <size> <count> <warmup>
 *     monocoque_end.ts <dealer-router|push-pull> <null|curve> sender   <size> <count> <warmup> <endpoint>...
 *
 * @module
 */

import * as monocoque from "../mod.ts";
import { runEnd } from "./end.ts";

await runEnd("monocoque_end.ts", monocoque);
