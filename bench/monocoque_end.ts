/**
 * One end of the benchmarks with monocoque, run unchanged by `node`, `deno run -A` and `bun`;
 * see `bench/end_protocol.ts` for the arguments and the protocol, `bench/end.ts` for the cases:
 *
 *     monocoque_end.ts <case> role=bind|connect|both size=N count=N warmup=N ...
 *
 * @module
 */

import * as monocoque from "../mod.ts";
import { runEnd } from "./end.ts";

await runEnd("monocoque_end.ts", monocoque);
