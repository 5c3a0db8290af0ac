/**
 * The soak command (`npm run soak -- --minutes N [--runtime=node|deno|bun|all|a,b]`, i.e.
 * `node soak/run.ts` on Node 24): a mixed workload for N minutes with faults forced all along,
 * then a check that nothing was lost that ZeroMQ promises to deliver, nothing was duplicated
 * or reordered, and no process grew without bound. docs/RELIABILITY.md explains the patterns,
 * what counts as a loss in each, and records the runs.
 *
 * For each runtime under test and for each mechanism (NULL and CURVE), six patterns run, each
 * end in its own process (`soak/worker.ts` on that runtime, binaries from
 * `<repo>/node_modules/.bin`, never PATH):
 *
 * - `req-rep`: a lazy-pirate Request client (timeout, close, reopen, resend) → Reply, over a
 *   relay; the Reply process is SIGKILLed and restarted periodically.
 * - `dealer-router`: Dealer → Router, echoed back, over a relay; the Router is killed too.
 * - `push-pull`: Push → Pull over a relay; the Push is killed and restarts as a new sender.
 * - `pub-sub`: Publisher → Subscriber over a relay; the Publisher is killed too.
 * - `xpub-xsub`: Publisher → (XSubscriber | Proxy | XPublisher) → Subscriber, a relay on each
 *   side of the proxy.
 * - `pair`: Pair → Pair echoed back, over ipc; the echoing end is killed too.
 *
 * The relays (`soak/cutting_relay.ts`, in this process) cut all their connections every few
 * seconds. Every message carries its sender id, a sequence number and its send time (see
 * `soak/message.ts`); the receiving ends report their tallies as JSON lines, and this process
 * samples every process's RSS from /proc every 10 s.
 *
 * Options: `--minutes=N` (default 1), `--runtime=` (default node), `--rate=N` messages per
 * second per sender (default 400), `--burst=N` extra messages back to back every
 * `--burst-every=S` seconds (defaults 1000 and 5), `--cut-every=S` (default 4),
 * `--kill-every=S` (default 15), `--patterns=a,b` (default all), `--mechanisms=null,curve`,
 * `--report-every=S` (progress table, default 60), `--json=FILE` (also write the summary),
 * `--inject=loss|duplicate` (a self-test: every sender skips or repeats one number in 5000, so
 * the run must fail).
 *
 * Exits 0 when every check passed, 1 otherwise; the last line printed is
 * `SOAK_SUMMARY {json}`.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { curveKeyPair } from "../mod.ts";
import { CuttingRelay } from "./cutting_relay.ts";
import type { Gap, SenderTally } from "./message.ts";
import type { CurveKeys, Role, WorkerConfig } from "./worker.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const WORKER = join(ROOT, "soak", "worker.ts");
const RUNTIMES = ["node", "deno", "bun"] as const;
const MECHANISMS = ["null", "curve"] as const;
/**
 * A gap counts as caused by a fault when the fault happened after the message before the gap
 * was received (less this slack: what was already in the receiver's buffers is read after the
 * cut) and before the message after the gap was received (ms).
 */
const FAULT_SLACK_MS = 1000;
/** Faults stop this long before the senders are told to stop, so that all reconnects finish. */
const QUIET_MS = 4000;
/** How long a receiver must have received nothing, after the senders stopped, to be done. */
const DRAIN_MS = 3000;
const RSS_EVERY_MS = 10_000;
const MiB = 1024 * 1024;

type Runtime = typeof RUNTIMES[number];
type Mechanism = typeof MECHANISMS[number];

/**
 * What a pattern promises: `reply` (every request gets its reply: no loss at all), `connection`
 * (what is lost is only what was in flight on a connection that broke, so every gap must sit
 * at a fault), `best-effort` (a publisher drops at its high-water mark and while a subscriber
 * is disconnected or not yet subscribed: loss is reported, not failed).
 */
type Delivery = "reply" | "connection" | "best-effort";

interface EndSpec {
  readonly name: string;
  readonly role: Role;
  /** Binds (bind addresses made per run), or connects to the relay/ipc of `connectTo`. */
  readonly bind?: "tcp" | "ipc" | "proxy";
  readonly connectTo?: string;
  readonly killable?: boolean;
  /** Sends numbered messages (and so is stopped first). */
  readonly sender?: boolean;
  /** Holds the tally to judge. */
  readonly counter?: boolean;
}

interface PatternSpec {
  readonly id: string;
  readonly promise: Delivery;
  /** Echo patterns: the counting end is also the sender. */
  readonly echo: boolean;
  readonly ends: readonly EndSpec[];
  /** Relays: name → the bound end (and which of its endpoints) they forward to. */
  readonly relays: readonly { name: string; to: string; second?: boolean }[];
}

const PATTERNS: readonly PatternSpec[] = [
  {
    id: "req-rep",
    promise: "reply",
    echo: true,
    relays: [{ name: "r", to: "server" }],
    ends: [
      { name: "server", role: "reply", bind: "tcp", killable: true },
      { name: "client", role: "lazy-client", connectTo: "r", sender: true, counter: true },
    ],
  },
  {
    id: "dealer-router",
    promise: "connection",
    echo: true,
    relays: [{ name: "r", to: "server" }],
    ends: [
      { name: "server", role: "router", bind: "tcp", killable: true },
      { name: "client", role: "dealer", connectTo: "r", sender: true, counter: true },
    ],
  },
  {
    id: "push-pull",
    promise: "connection",
    echo: false,
    relays: [{ name: "r", to: "pull" }],
    ends: [
      { name: "pull", role: "pull", bind: "tcp", counter: true },
      { name: "push", role: "push", connectTo: "r", sender: true, killable: true },
    ],
  },
  {
    id: "pub-sub",
    promise: "best-effort",
    echo: false,
    relays: [{ name: "r", to: "pub" }],
    ends: [
      { name: "pub", role: "pub", bind: "tcp", sender: true, killable: true },
      { name: "sub", role: "sub", connectTo: "r", counter: true },
    ],
  },
  {
    id: "xpub-xsub",
    promise: "best-effort",
    echo: false,
    relays: [{ name: "front", to: "proxy" }, { name: "back", to: "proxy", second: true }],
    ends: [
      { name: "proxy", role: "proxy", bind: "proxy" },
      { name: "sub", role: "sub", connectTo: "back", counter: true },
      { name: "pub", role: "pub", connectTo: "front", sender: true },
    ],
  },
  {
    id: "pair",
    promise: "connection",
    echo: true,
    relays: [],
    ends: [
      { name: "server", role: "pair-echo", bind: "ipc", killable: true },
      { name: "client", role: "pair-client", connectTo: "ipc", sender: true, counter: true },
    ],
  },
];

interface Options {
  minutes: number;
  runtimes: Runtime[];
  rate: number;
  burst: number;
  burstEvery: number;
  cutEvery: number;
  killEvery: number;
  patterns: string[];
  mechanisms: Mechanism[];
  reportEvery: number;
  json: string | undefined;
  inject: "loss" | "duplicate" | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    minutes: 1,
    runtimes: ["node"],
    rate: 400,
    burst: 1000,
    burstEvery: 5,
    cutEvery: 4,
    killEvery: 15,
    patterns: PATTERNS.map((pattern) => pattern.id),
    mechanisms: [...MECHANISMS],
    reportEvery: 60,
    json: undefined,
    inject: undefined,
  };
  const args = [...argv];
  while (args.length > 0) {
    const arg = args.shift()!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new TypeError(`unexpected argument: ${arg}`);
    const value = match[2] ?? args.shift();
    if (value === undefined) throw new TypeError(`--${match[1]} needs a value`);
    const number = (): number => {
      const parsed = Number(value);
      if (!(parsed > 0)) throw new RangeError(`--${match[1]} must be a positive number: ${value}`);
      return parsed;
    };
    const list = <T extends string>(allowed: readonly T[]): T[] => {
      const items = value === "all" ? [...allowed] : value.split(",") as T[];
      for (const item of items) {
        if (!allowed.includes(item)) throw new RangeError(`--${match[1]}: unknown ${item}`);
      }
      return items;
    };
    switch (match[1]) {
      case "minutes":
        options.minutes = number();
        break;
      case "runtime":
        options.runtimes = list(RUNTIMES);
        break;
      case "rate":
        options.rate = number();
        break;
      case "burst":
        options.burst = number();
        break;
      case "burst-every":
        options.burstEvery = number();
        break;
      case "cut-every":
        options.cutEvery = number();
        break;
      case "kill-every":
        options.killEvery = number();
        break;
      case "patterns":
        options.patterns = list(PATTERNS.map((pattern) => pattern.id));
        break;
      case "mechanisms":
        options.mechanisms = list(MECHANISMS);
        break;
      case "report-every":
        options.reportEvery = number();
        break;
      case "json":
        options.json = value;
        break;
      case "inject":
        if (value !== "loss" && value !== "duplicate") {
          throw new RangeError(`--inject must be loss or duplicate: ${value}`);
        }
        options.inject = value;
        break;
      default:
        throw new TypeError(`unknown option --${match[1]}`);
    }
  }
  return options;
}

function command(runtime: Runtime): string[] {
  switch (runtime) {
    case "node":
      return [join(BIN, "node"), WORKER];
    case "deno":
      return [join(BIN, "deno"), "run", "-A", WORKER];
    case "bun":
      return [join(BIN, "bun"), WORKER];
  }
}

/** CPU seconds (user + system) a process used so far, from /proc (undefined once it is gone). */
function cpuOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** RSS in bytes of a process, from /proc (undefined once it is gone). */
function rssOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

interface WorkerCounters {
  sent: number;
  echoed: number;
  retries: number;
  socketsOpened: number;
  handshakes: number;
  disconnects: number;
  handshakeErrors: number;
  filterErrors: number;
  errors: number;
}

interface WorkerReport {
  counters: WorkerCounters;
  senders: Record<string, SenderTally>;
  /** Per sender, the gaps opened since the previous record. */
  newGaps: Record<string, Gap[]>;
  /** When the worker saw a connection of its own end or complete, since the previous record. */
  newConnectionEvents: number[];
  /** The JavaScript heap in use (bytes). */
  heapUsed?: number;
  errors: string[];
  handshakeFailures: string[];
}

/** One process of an end: a killed end is restarted as a new incarnation. */
interface Incarnation {
  readonly pid: number;
  readonly senderId: number;
  readonly startedAt: number;
  endedAt?: number;
  killed: boolean;
  exitCode?: number | null;
  last?: WorkerReport;
  final?: WorkerReport;
  /** Per sender, every gap its records carried. */
  readonly gaps: Map<string, Gap[]>;
  /** [ms since the run started, RSS bytes]. */
  readonly rss: [number, number][];
  /** [ms since the run started, heap bytes in use], from the worker's latest record. */
  readonly heap: [number, number][];
  /** CPU seconds used, as of the last sample. */
  cpu: number;
  readonly stderr: string[];
}

/** Something that can lose in-flight messages, at a time. */
interface Fault {
  readonly at: number;
  readonly kind: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Sender ids start at a random point so that two soaks running at once (one per runtime) never
 * share one: a message that reached another soak's end would be taken for its own.
 */
let nextSenderId = Math.floor(Math.random() * 2 ** 31);

/** One running end of one pattern instance. */
class End {
  readonly spec: EndSpec;
  readonly instance: Instance;
  readonly incarnations: Incarnation[] = [];
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  endpoint: string | null = null;
  endpoint2: string | null = null;
  errors: string[] = [];

  constructor(spec: EndSpec, instance: Instance) {
    this.spec = spec;
    this.instance = instance;
  }

  get current(): Incarnation | undefined {
    return this.incarnations[this.incarnations.length - 1];
  }

  /** Starts a process and resolves once it printed `ready`. */
  start(config: Omit<WorkerConfig, "senderId">): Promise<void> {
    const senderId = nextSenderId++;
    const [bin, ...args] = command(this.instance.runtime);
    const child = spawn(bin, args, {
      cwd: ROOT,
      env: { ...process.env, SOAK_CONFIG: JSON.stringify({ ...config, senderId }) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child = child;
    const incarnation: Incarnation = {
      pid: child.pid!,
      senderId,
      startedAt: Date.now(),
      killed: false,
      rss: [],
      heap: [],
      cpu: 0,
      gaps: new Map(),
      stderr: [],
    };
    this.incarnations.push(incarnation);
    const label = `${this.instance.label} ${this.spec.name}#${this.incarnations.length}`;
    child.stdin!.on("error", () => {});
    createInterface({ input: child.stderr! }).on("line", (line) => {
      if (incarnation.stderr.length < 20) incarnation.stderr.push(line);
    });
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line);
        } catch {
          this.#error(`${label}: not JSON: ${line.slice(0, 200)}`);
          return;
        }
        switch (record.type) {
          case "ready":
            this.endpoint = record.endpoint as string | null;
            this.endpoint2 = (record.endpoint2 ?? null) as string | null;
            resolve();
            break;
          case "stats":
            incarnation.last = record as unknown as WorkerReport;
            this.#addRecord(incarnation, incarnation.last);
            break;
          case "final":
            incarnation.final = record as unknown as WorkerReport;
            this.#addRecord(incarnation, incarnation.final);
            break;
          case "error":
            this.#error(`${label}: ${record.message}`);
            break;
        }
      });
      child.once("exit", () => reject(new Error(`${label} exited before it was ready`)));
    });
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code) => {
        incarnation.endedAt = Date.now();
        incarnation.exitCode = code;
        if (!incarnation.killed && !this.instance.stopping) {
          this.#error(
            `${label} exited unexpectedly (code ${code}): ${incarnation.stderr.join(" | ")}`,
          );
        } else if (!incarnation.killed && code !== 0) {
          this.#error(`${label} exited with code ${code}: ${incarnation.stderr.join(" | ")}`);
        }
        resolve();
      });
    });
    return ready;
  }

  #addRecord(incarnation: Incarnation, report: WorkerReport): void {
    for (const [sender, gaps] of Object.entries(report.newGaps ?? {})) {
      let all = incarnation.gaps.get(sender);
      if (all === undefined) incarnation.gaps.set(sender, all = []);
      for (const gap of gaps) all.push(gap);
    }
    for (const at of report.newConnectionEvents ?? []) {
      this.instance.faults.push({ at, kind: `${this.spec.name} saw a connection end or start` });
    }
  }

  #error(text: string): void {
    if (this.errors.length < 100) this.errors.push(text);
    this.instance.errorCount++;
  }

  /** SIGKILLs the current process and waits for it to be gone. */
  async kill(): Promise<void> {
    const incarnation = this.current;
    if (incarnation === undefined || incarnation.endedAt !== undefined) return;
    incarnation.killed = true;
    incarnation.cpu = cpuOf(incarnation.pid) ?? incarnation.cpu;
    this.#child?.kill("SIGKILL");
    await this.#exited;
  }

  /** Asks the process to stop and waits (at most `timeout` ms, then kills it). */
  async stop(timeout: number): Promise<void> {
    const incarnation = this.current;
    if (incarnation === undefined || incarnation.endedAt !== undefined) return;
    this.#child?.stdin?.write("stop\n");
    const timer = setTimeout(() => {
      this.#error(`${this.instance.label} ${this.spec.name} did not stop within ${timeout} ms`);
      incarnation.killed = true;
      this.#child?.kill("SIGKILL");
    }, timeout);
    await this.#exited;
    clearTimeout(timer);
  }

  sampleRss(since: number): void {
    const incarnation = this.current;
    if (incarnation === undefined || incarnation.endedAt !== undefined) return;
    // A process still starting up is small: its first sample would make any growth look big.
    const rss = Date.now() - incarnation.startedAt < RSS_EVERY_MS
      ? undefined
      : rssOf(incarnation.pid);
    if (rss !== undefined) incarnation.rss.push([Date.now() - since, rss]);
    const heap = incarnation.last?.heapUsed;
    if (rss !== undefined && heap !== undefined) incarnation.heap.push([Date.now() - since, heap]);
    incarnation.cpu = cpuOf(incarnation.pid) ?? incarnation.cpu;
  }
}

/** One pattern, with one mechanism, on one runtime. */
class Instance {
  readonly runtime: Runtime;
  readonly mechanism: Mechanism;
  readonly pattern: PatternSpec;
  readonly options: Options;
  readonly label: string;
  readonly ends = new Map<string, End>();
  readonly relays = new Map<string, CuttingRelay>();
  readonly faults: Fault[] = [];
  readonly #timers: ReturnType<typeof setTimeout>[] = [];
  #restarting: Promise<void> = Promise.resolve();
  #curve: CurveKeys | undefined;
  #ipcPath: string;
  stopping = false;
  faulting = false;
  errorCount = 0;
  kills = 0;

  constructor(runtime: Runtime, mechanism: Mechanism, pattern: PatternSpec, options: Options) {
    this.runtime = runtime;
    this.mechanism = mechanism;
    this.pattern = pattern;
    this.options = options;
    this.label = `${runtime}/${pattern.id}/${mechanism}`;
    this.#ipcPath = `/tmp/monocoque-soak-${process.pid}-${runtime}-${pattern.id}-${mechanism}.sock`;
    for (const spec of pattern.ends) this.ends.set(spec.name, new End(spec, this));
  }

  #config(spec: EndSpec): Omit<WorkerConfig, "senderId"> {
    const base = {
      role: spec.role,
      curve: this.#curve,
      rate: this.options.rate,
      burst: this.options.burst,
      burstEvery: this.options.burstEvery * 1000,
      requestTimeout: 1000,
      inject: this.options.inject,
    };
    switch (spec.bind) {
      case "tcp":
        return { ...base, bind: "tcp://127.0.0.1:0" };
      case "ipc":
        return { ...base, bind: `ipc://${this.#ipcPath}` };
      case "proxy":
        return { ...base, bind: "tcp://127.0.0.1:0", bind2: "tcp://127.0.0.1:0" };
    }
    const connect = spec.connectTo === "ipc"
      ? `ipc://${this.#ipcPath}`
      : this.relays.get(spec.connectTo!)!.endpoint;
    return { ...base, connect };
  }

  #relayTarget(relay: { to: string; second?: boolean }): string {
    const end = this.ends.get(relay.to)!;
    return (relay.second ? end.endpoint2 : end.endpoint)!;
  }

  async start(): Promise<void> {
    if (this.mechanism === "curve") {
      const server = await curveKeyPair();
      const client = await curveKeyPair();
      this.#curve = {
        serverPublic: server.publicKey,
        serverSecret: server.secretKey,
        clientPublic: client.publicKey,
        clientSecret: client.secretKey,
      };
    }
    // A subscriber joining late misses what was published before: starts count as faults.
    const binders = this.pattern.ends.filter((spec) => spec.bind !== undefined);
    for (const spec of binders) {
      await this.ends.get(spec.name)!.start(this.#config(spec));
      this.faults.push({ at: Date.now(), kind: "start" });
    }
    for (const relay of this.pattern.relays) {
      this.relays.set(relay.name, await CuttingRelay.start(this.#relayTarget(relay)));
    }
    for (const spec of this.pattern.ends.filter((spec) => spec.bind === undefined)) {
      await this.ends.get(spec.name)!.start(this.#config(spec));
      this.faults.push({ at: Date.now(), kind: "start" });
    }
  }

  /** Cuts the relays and kills the killable end, each on its own jittered schedule. */
  startFaults(): void {
    this.faulting = true;
    const jitter = (seconds: number): number => seconds * 1000 * (0.5 + Math.random());
    if (this.relays.size > 0) {
      const cut = (): void => {
        if (!this.faulting) return;
        for (const relay of this.relays.values()) relay.cut();
        this.faults.push({ at: Date.now(), kind: "cut" });
        this.#timers.push(setTimeout(cut, jitter(this.options.cutEvery)));
      };
      this.#timers.push(setTimeout(cut, jitter(this.options.cutEvery)));
    }
    const killable = this.pattern.ends.filter((spec) => spec.killable);
    if (killable.length > 0) {
      const kill = (): void => {
        if (!this.faulting) return;
        this.#restarting = this.#restart(killable).then(() => {
          this.#timers.push(setTimeout(kill, jitter(this.options.killEvery)));
        });
      };
      this.#timers.push(setTimeout(kill, jitter(this.options.killEvery)));
    }
  }

  async #restart(specs: readonly EndSpec[]): Promise<void> {
    for (const spec of specs) {
      const end = this.ends.get(spec.name)!;
      const relays = this.pattern.relays.filter((relay) => relay.to === spec.name);
      for (const relay of relays) this.relays.get(relay.name)!.retarget(undefined);
      this.faults.push({ at: Date.now(), kind: "kill" });
      this.kills++;
      await end.kill();
      try {
        await end.start(this.#config(spec));
      } catch (error) {
        this.errorCount++;
        end.errors.push(`${this.label} ${spec.name} restart: ${(error as Error).message}`);
        continue;
      }
      this.faults.push({ at: Date.now(), kind: "restarted" });
      for (const relay of relays) this.relays.get(relay.name)!.retarget(this.#relayTarget(relay));
    }
  }

  async stopFaults(): Promise<void> {
    this.faulting = false;
    for (const timer of this.#timers) clearTimeout(timer);
    await this.#restarting;
  }

  /** Stops the senders, lets the rest drain, stops everything, closes the relays. */
  async stop(): Promise<void> {
    this.stopping = true;
    const ends = [...this.ends.values()];
    // A lazy-pirate client finishes its last request, retrying: give it time.
    await Promise.all(ends.filter((end) => end.spec.sender).map((end) => end.stop(60_000)));
    await this.#drained();
    await Promise.all(ends.filter((end) => !end.spec.sender).map((end) => end.stop(10_000)));
    for (const relay of this.relays.values()) await relay.close();
  }

  sampleRss(since: number): void {
    for (const end of this.ends.values()) end.sampleRss(since);
  }

  /**
   * Resolves once the counting end has received nothing new for DRAIN_MS (at most a minute):
   * on a busy machine the queues left when the senders stop take seconds to drain.
   */
  async #drained(): Promise<void> {
    const counter = [...this.ends.values()].find((end) => end.spec.counter)!;
    const received = (): number =>
      Object.values(counter.current?.last?.senders ?? {}).reduce((sum, t) => sum + t.received, 0);
    const deadline = Date.now() + 60_000;
    let last = received();
    let quietSince = Date.now();
    while (counter.current?.endedAt === undefined && Date.now() < deadline) {
      await sleep(250);
      const now = received();
      if (now !== last) {
        last = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= DRAIN_MS) return;
    }
  }

  /** Whether a fault happened between the receiving of the messages around a gap. */
  explained(before: number, after: number): boolean {
    return this.faults.some((fault) => before - FAULT_SLACK_MS <= fault.at && fault.at <= after);
  }

  /**
   * The verdict on what crossed this instance; while running (`final` false), messages after
   * the last one received are in flight, not lost.
   */
  judge(final: boolean): InstanceResult {
    const counter = [...this.ends.values()].find((end) => end.spec.counter)!;
    const sender = [...this.ends.values()].find((end) => end.spec.sender)!;
    const counted = counter.current?.final ?? counter.current?.last;
    let sent = 0;
    let received = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    let lost = 0;
    let lostAtFaults = 0;
    let lostUnexplained = 0;
    let gapCount = 0;
    let gapsDropped = 0;
    let largestGap = 0;
    const unexplainedGaps: Gap[] = [];
    const judgeGap = (gap: Gap, sender: Incarnation): void => {
      // A gap from the first message has nothing before it: it starts with the sender.
      if (gap.from === 0) gap = { ...gap, before: sender.startedAt };
      const size = gap.to - gap.from + 1;
      lost += size;
      gapCount++;
      largestGap = Math.max(largestGap, size);
      if (this.explained(gap.before, gap.after)) lostAtFaults += size;
      else {
        lostUnexplained += size;
        if (unexplainedGaps.length < 20) unexplainedGaps.push(gap);
      }
    };
    for (const incarnation of sender.incarnations) {
      const report = incarnation.final ?? incarnation.last;
      // The counting end's own tally, for an echo client; the receiver's, otherwise.
      const tallyOf = this.pattern.echo ? report : counted;
      const tally = tallyOf?.senders[String(incarnation.senderId)];
      const gapsOf = this.pattern.echo ? incarnation : counter.current;
      const gaps = gapsOf?.gaps.get(String(incarnation.senderId)) ?? [];
      // A killed sender's last report is up to a second old: the receiver may know more.
      const incarnationSent = Math.max(report?.counters.sent ?? 0, (tally?.maxSeq ?? -1) + 1);
      sent += incarnationSent;
      if (tally === undefined) {
        if (incarnationSent > 0 && (final || incarnation.endedAt !== undefined)) {
          judgeGap({
            from: 0,
            to: incarnationSent - 1,
            before: incarnation.startedAt,
            after: incarnation.endedAt ?? Date.now(),
          }, incarnation);
        }
        continue;
      }
      received += tally.unique;
      duplicates += tally.duplicates;
      outOfOrder += tally.outOfOrder;
      gapsDropped += tally.gapsDropped;
      // A late arrival (which fails the run) leaves its gap whole, counted as lost.
      for (const gap of gaps) judgeGap(gap, incarnation);
      // Messages after the last one received.
      const trailing = incarnationSent - 1 - tally.maxSeq;
      if (trailing > 0 && (final || incarnation.endedAt !== undefined)) {
        judgeGap({
          from: tally.maxSeq + 1,
          to: incarnationSent - 1,
          before: tally.maxReceivedAt,
          after: incarnation.endedAt ?? Date.now(),
        }, incarnation);
      }
    }
    const connecting = [...this.ends.values()].filter((end) => end.spec.bind === undefined);
    let reconnects = 0;
    for (const end of connecting) {
      for (const incarnation of end.incarnations) {
        const report = incarnation.final ?? incarnation.last;
        if (report !== undefined) reconnects += Math.max(0, report.counters.handshakes - 1);
      }
    }
    const workerErrors: string[] = [];
    let handshakeErrors = 0;
    let filterErrors = 0;
    let retries = 0;
    const handshakeFailures: string[] = [];
    for (const end of this.ends.values()) {
      workerErrors.push(...end.errors);
      for (const incarnation of end.incarnations) {
        const report = incarnation.final ?? incarnation.last;
        for (const failure of report?.handshakeFailures ?? []) {
          if (handshakeFailures.length < 10) handshakeFailures.push(`${end.spec.name}: ${failure}`);
        }
        handshakeErrors += report?.counters.handshakeErrors ?? 0;
        filterErrors += report?.counters.filterErrors ?? 0;
        retries += report?.counters.retries ?? 0;
      }
    }
    // Messages from a sender of no incarnation of this pattern reached it over a stale port.
    const ownIds = new Set(sender.incarnations.map((incarnation) => String(incarnation.senderId)));
    let strangers = 0;
    for (const [id, tally] of Object.entries(counted?.senders ?? {})) {
      if (!ownIds.has(id)) strangers += tally.received;
    }
    const failures: string[] = [];
    if (strangers > 0) failures.push(`${strangers} messages from another pattern's sender`);
    if (duplicates > 0) failures.push(`${duplicates} duplicated`);
    if (outOfOrder > 0) failures.push(`${outOfOrder} out of order`);
    if (filterErrors > 0) failures.push(`${filterErrors} messages of an unsubscribed topic`);
    if (this.pattern.promise === "reply" && lost > 0) failures.push(`${lost} requests unanswered`);
    if (this.pattern.promise === "connection" && lostUnexplained > 0) {
      failures.push(`${lostUnexplained} lost away from any fault`);
    }
    if (this.errorCount > 0) failures.push(`${this.errorCount} errors`);
    if (gapsDropped > 0) failures.push(`${gapsDropped} gaps too many to judge`);
    if (sent === 0 || received === 0) failures.push("no traffic");
    const warnings: string[] = [];
    if (this.pattern.promise === "best-effort" && lostUnexplained > 0) {
      warnings.push(`${lostUnexplained} dropped away from any fault (publisher HWM?)`);
    }
    if (handshakeErrors > 0) warnings.push(`${handshakeErrors} handshake errors`);
    return {
      runtime: this.runtime,
      pattern: this.pattern.id,
      mechanism: this.mechanism,
      promise: this.pattern.promise,
      sent,
      received,
      lost,
      lostAtFaults,
      lostUnexplained,
      duplicates,
      outOfOrder,
      reconnects,
      retries,
      cuts: [...this.relays.values()].reduce((sum, relay) => sum + relay.cuts, 0),
      kills: this.kills,
      handshakeErrors,
      handshakeFailures,
      gaps: gapCount,
      largestGap,
      unexplainedGaps,
      errors: workerErrors,
      failures,
      warnings,
    };
  }
}

interface InstanceResult {
  runtime: Runtime;
  pattern: string;
  mechanism: Mechanism;
  promise: Delivery;
  sent: number;
  received: number;
  lost: number;
  lostAtFaults: number;
  lostUnexplained: number;
  duplicates: number;
  outOfOrder: number;
  reconnects: number;
  retries: number;
  cuts: number;
  kills: number;
  handshakeErrors: number;
  handshakeFailures: string[];
  /** Ranges of numbers that never arrived (each a run of consecutive numbers), trailing ones included. */
  gaps: number;
  largestGap: number;
  unexplainedGaps: Gap[];
  errors: string[];
  failures: string[];
  warnings: string[];
}

interface RssResult {
  process: string;
  pid: number;
  lifetimeS: number;
  minMiB: number;
  maxMiB: number;
  lastMiB: number;
  firstWindowMaxMiB?: number;
  lastWindowMaxMiB?: number;
  /**
   * The JavaScript heap's peaks in the same windows (MiB): not judged (a heap not yet collected
   * looks big), but it tells a runtime's memory sizing from objects kept alive.
   */
  heapFirstWindowMaxMiB?: number;
  heapLastWindowMaxMiB?: number;
  /** One sample a minute (MiB), for the record. */
  perMinuteMiB: number[];
  failure?: string;
}

/**
 * The growth rule: a process that lived at least two windows (a window is 10 minutes, or a
 * third of the run when that is shorter) fails when its RSS peak in the last window of its life
 * exceeds twice its peak in the first window plus 50 MiB.
 */
function judgeRss(
  name: string,
  pid: number,
  samples: readonly [number, number][],
  heap: readonly [number, number][],
  windowMs: number,
): RssResult | undefined {
  if (samples.length === 0) return undefined;
  const values = samples.map(([, rss]) => rss);
  const first = samples[0][0];
  const last = samples[samples.length - 1][0];
  const toMiB = (bytes: number): number => Math.round(bytes / MiB * 10) / 10;
  const perMinute: number[] = [];
  for (const [at, rss] of samples) {
    if (perMinute.length === 0 || at - first >= perMinute.length * 60_000) {
      perMinute.push(toMiB(rss));
    }
  }
  const result: RssResult = {
    process: name,
    pid,
    lifetimeS: Math.round((last - first) / 1000),
    minMiB: toMiB(Math.min(...values)),
    maxMiB: toMiB(Math.max(...values)),
    lastMiB: toMiB(values[values.length - 1]),
    perMinuteMiB: perMinute,
  };
  if (last - first >= 2 * windowMs) {
    const peak = (of: readonly [number, number][], inFirst: boolean): number =>
      Math.max(
        ...of.filter(([at]) => inFirst ? at - first <= windowMs : last - at <= windowMs)
          .map(([, bytes]) => bytes),
      );
    const firstMax = peak(samples, true);
    const lastMax = peak(samples, false);
    if (heap.length > 0) {
      result.heapFirstWindowMaxMiB = toMiB(peak(heap, true));
      result.heapLastWindowMaxMiB = toMiB(peak(heap, false));
    }
    result.firstWindowMaxMiB = toMiB(firstMax);
    result.lastWindowMaxMiB = toMiB(lastMax);
    if (lastMax > 2 * firstMax + 50 * MiB) {
      result.failure = `RSS grew from ${toMiB(firstMax)} to ${toMiB(lastMax)} MiB`;
    }
  }
  return result;
}

/** An end's latest RSS sample, as `name#incarnation MiB`. */
function rssNow(end: End): string {
  const incarnation = end.current;
  const last = incarnation?.rss[incarnation.rss.length - 1];
  const mib = last === undefined ? "-" : (last[1] / MiB).toFixed(1);
  return `${end.spec.name}#${end.incarnations.length} ${mib}`;
}

function pad(value: string | number, width: number): string {
  return String(value).padStart(width);
}

function table(results: readonly InstanceResult[]): string {
  const header = `${"runtime/pattern/mech".padEnd(30)} ${pad("sent", 9)} ${pad("received", 9)} ` +
    `${pad("lost", 7)} ${pad("@faults", 7)} ${pad("unexpl", 6)} ${pad("gaps", 5)} ${
      pad("dup", 4)
    } ${pad("ooo", 4)} ` +
    `${pad("reconn", 6)} ${pad("cuts", 5)} ${pad("kills", 5)} ${pad("retry", 5)} verdict`;
  const rows = results.map((r) =>
    `${`${r.runtime}/${r.pattern}/${r.mechanism}`.padEnd(30)} ${pad(r.sent, 9)} ` +
    `${pad(r.received, 9)} ${pad(r.lost, 7)} ${pad(r.lostAtFaults, 7)} ${
      pad(r.lostUnexplained, 6)
    } ${pad(r.gaps, 5)} ` +
    `${pad(r.duplicates, 4)} ${pad(r.outOfOrder, 4)} ${pad(r.reconnects, 6)} ${pad(r.cuts, 5)} ` +
    `${pad(r.kills, 5)} ${pad(r.retries, 5)} ` +
    (r.failures.length > 0 ? `FAIL ${r.failures.join("; ")}` : "ok") +
    (r.warnings.length > 0 ? ` (${r.warnings.join("; ")})` : "")
  );
  return [header, ...rows].join("\n");
}

function rssTable(results: readonly RssResult[]): string {
  const header = `${"process".padEnd(40)} ${pad("life s", 6)} ${pad("min", 6)} ${pad("max", 6)} ` +
    `${pad("last", 6)} ${pad("1st-w", 6)} ${pad("last-w", 6)} ${pad("heap 1st-w", 10)} ` +
    `${pad("last-w", 6)}  (MiB; -w: peak in the first/last window)`;
  const rows = results.map((r) =>
    `${r.process.padEnd(40)} ${pad(r.lifetimeS, 6)} ${pad(r.minMiB, 6)} ${pad(r.maxMiB, 6)} ` +
    `${pad(r.lastMiB, 6)} ${pad(r.firstWindowMaxMiB ?? "-", 6)} ${
      pad(r.lastWindowMaxMiB ?? "-", 6)
    } ${pad(r.heapFirstWindowMaxMiB ?? "-", 10)} ${pad(r.heapLastWindowMaxMiB ?? "-", 6)}` +
    (r.failure === undefined ? "" : `  FAIL ${r.failure}`)
  );
  return [header, ...rows].join("\n");
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const durationMs = options.minutes * 60_000;
  const log = (text: string): void => {
    const elapsed = ((Date.now() - started) / 1000).toFixed(0);
    console.log(`[soak +${elapsed}s] ${text}`);
  };
  log(
    `runtimes ${options.runtimes.join(",")}, ${options.minutes} min, rate ${options.rate}/s ` +
      `+ ${options.burst} every ${options.burstEvery}s, cut every ~${options.cutEvery}s, ` +
      `kill every ~${options.killEvery}s`,
  );
  const instances: Instance[] = [];
  for (const runtime of options.runtimes) {
    for (const pattern of PATTERNS.filter((pattern) => options.patterns.includes(pattern.id))) {
      for (const mechanism of options.mechanisms) {
        instances.push(new Instance(runtime, mechanism, pattern, options));
      }
    }
  }
  const selfRss: [number, number][] = [];
  const selfHeap: [number, number][] = [];
  const sample = (): void => {
    const memory = process.memoryUsage();
    selfRss.push([Date.now() - started, memory.rss]);
    selfHeap.push([Date.now() - started, memory.heapUsed]);
    for (const instance of instances) instance.sampleRss(started);
  };
  let rssTimer: ReturnType<typeof setInterval> | undefined;
  let reportTimer: ReturnType<typeof setInterval> | undefined;
  let interrupted = false;
  let stoppedAt = Date.now();
  const onSignal = (): void => {
    interrupted = true;
    log("interrupted: stopping early");
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await Promise.all(instances.map((instance) => instance.start()));
    log(`${instances.length} pattern instances running`);
    for (const instance of instances) instance.startFaults();
    rssTimer = setInterval(sample, RSS_EVERY_MS);
    sample();
    reportTimer = setInterval(() => {
      const rssLines = instances.map((instance) =>
        `${instance.label.padEnd(30)} ${[...instance.ends.values()].map(rssNow).join("  ")}`
      );
      log(
        `progress\n${table(instances.map((instance) => instance.judge(false)))}\n` +
          `RSS now (MiB; #n: the process's incarnation)\n${rssLines.join("\n")}`,
      );
    }, options.reportEvery * 1000);
    // The N minutes count from when every pattern runs: starting many processes takes a while.
    const endAt = Date.now() + durationMs;
    while (Date.now() < endAt && !interrupted) await sleep(Math.min(1000, endAt - Date.now()));
  } finally {
    clearInterval(reportTimer);
    log("stopping faults");
    await Promise.all(instances.map((instance) => instance.stopFaults()));
    await sleep(QUIET_MS);
    log("stopping the ends");
    sample();
    stoppedAt = Date.now();
    clearInterval(rssTimer);
    await Promise.all(instances.map((instance) => instance.stop()));
  }
  const results = instances.map((instance) => instance.judge(true));
  const windowMs = Math.min(10 * 60_000, durationMs / 3);
  const rss: RssResult[] = [];
  const self = judgeRss("orchestrator (node)", process.pid, selfRss, selfHeap, windowMs);
  if (self !== undefined) rss.push(self);
  for (const instance of instances) {
    for (const end of instance.ends.values()) {
      end.incarnations.forEach((incarnation, index) => {
        // Killed incarnations are summed up, not listed one by one.
        if (incarnation.killed && index < end.incarnations.length - 1) return;
        const result = judgeRss(
          `${instance.label} ${end.spec.name}#${index + 1}`,
          incarnation.pid,
          incarnation.rss,
          incarnation.heap,
          windowMs,
        );
        if (result !== undefined) rss.push(result);
      });
    }
  }
  const runSeconds = (stoppedAt - started) / 1000;
  const cpu = options.runtimes.map((runtime) => {
    let seconds = 0;
    for (const instance of instances.filter((instance) => instance.runtime === runtime)) {
      for (const end of instance.ends.values()) {
        for (const incarnation of end.incarnations) seconds += incarnation.cpu;
      }
    }
    return {
      runtime,
      cpuSeconds: Math.round(seconds),
      cores: Math.round(seconds / runSeconds * 100) / 100,
    };
  });
  const failed = results.some((result) => result.failures.length > 0) ||
    rss.some((result) => result.failure !== undefined);
  console.log(`\nResults after ${((Date.now() - started) / 60_000).toFixed(1)} min\n`);
  console.log(table(results));
  console.log(`\nRSS (sampled every ${RSS_EVERY_MS / 1000} s)\n`);
  console.log(rssTable(rss));
  for (const { runtime, cpuSeconds, cores } of cpu) {
    console.log(
      `CPU: the ${runtime} workers used ${cpuSeconds} s in ${
        Math.round(runSeconds)
      } s (${cores} cores)`,
    );
  }
  for (const result of results) {
    for (const error of result.errors.slice(0, 10)) console.log(`error: ${error}`);
    for (const failure of result.handshakeFailures) {
      console.log(
        `handshake failure: ${result.runtime}/${result.pattern}/${result.mechanism} ${failure}`,
      );
    }
    for (const gap of result.unexplainedGaps.slice(0, 5)) {
      console.log(
        `gap: ${result.runtime}/${result.pattern}/${result.mechanism} seq ${gap.from}..${gap.to} ` +
          `sent between ${new Date(gap.before).toISOString()} and ${
            new Date(gap.after).toISOString()
          }`,
      );
    }
  }
  const summary = {
    startedAt: new Date(started).toISOString(),
    minutes: (Date.now() - started) / 60_000,
    options,
    passed: !failed,
    cpu,
    results,
    rss,
  };
  if (options.json !== undefined) writeFileSync(options.json, JSON.stringify(summary, null, 2));
  console.log(`\n${failed ? "SOAK FAILED" : "SOAK PASSED"}`);
  console.log(`SOAK_SUMMARY ${JSON.stringify(summary)}`);
  process.exitCode = failed ? 1 : 0;
}

await main();
