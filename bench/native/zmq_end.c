/*
 * One end of a benchmark with native libzmq: the baseline beside monocoque and the zeromq
 * package, speaking the same protocol as bench/end.ts (a "ready" JSON line with the endpoints
 * from the process that binds, one "result" JSON line from each process), so bench/run.ts runs
 * it like any other end. bench/native_build.ts compiles it at the start of a benchmark:
 *
 *     cc -O2 -o zmq_end zmq_end.c -lzmq -lpthread
 *
 *     zmq_end <case> role=bind|connect|both size=N count=N warmup=N [mechanism=null|curve]
 *             [subscribers=N] [endpoints=A,B]
 *
 * Without endpoints=..., the connecting end reads them as one comma-separated line on stdin.
 *
 * Cases: push-pull and dealer-router (throughput over tcp), req-rep-rtt and dealer-router-rtt
 * (round-trip latency, one request outstanding), pub-sub (fan-out to `subscribers` Subscriber
 * sockets in the connecting process, polled with zmq_poll), inproc-push-pull (two threads of
 * one process, role=both). CURVE keys come from the environment as in bench/end.ts.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define MAX_ENDPOINTS 4
#define MAX_SUBSCRIBERS 1000

static const char *g_case;
static const char *g_role = "";
static const char *g_mechanism = "null";
static long g_size = -1, g_count = -1, g_warmup = -1, g_subscribers = 1;
static char *g_endpoints[MAX_ENDPOINTS];
static int g_endpoint_count;
static void *g_ctx;

static void die(const char *what) {
  fprintf(stderr, "zmq_end: %s: %s\n", what, zmq_strerror(zmq_errno()));
  exit(1);
}

static void check(int rc, const char *what) {
  if (rc == -1) die(what);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmHWM and VmRSS from /proc/self/status, in KiB; -1 when unknown. */
static void memory(long *peak, long *rss) {
  char line[256];
  FILE *f = fopen("/proc/self/status", "r");
  *peak = -1;
  *rss = -1;
  if (f == NULL) return;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "VmHWM:", 6) == 0) *peak = strtol(line + 6, NULL, 10);
    if (strncmp(line, "VmRSS:", 6) == 0) *rss = strtol(line + 6, NULL, 10);
  }
  fclose(f);
}

static void emit(const char *json_fields) {
  long peak, rss;
  memory(&peak, &rss);
  printf("{\"type\":\"result\",\"role\":\"%s\",%s,\"peakRssKiB\":%ld,\"rssKiB\":%ld}\n", g_role,
         json_fields, peak, rss);
  fflush(stdout);
}

static void *socket_of(int type) {
  void *s = zmq_socket(g_ctx, type);
  if (s == NULL) die("zmq_socket");
  return s;
}

static void set_key(void *s, int option, const char *variable) {
  const char *key = getenv(variable);
  if (key == NULL || strlen(key) != 40) {
    fprintf(stderr, "zmq_end: CURVE needs a 40-character %s in the environment\n", variable);
    exit(2);
  }
  check(zmq_setsockopt(s, option, key, 40), variable);
}

static void curve_server(void *s) {
  int one = 1;
  if (strcmp(g_mechanism, "curve") != 0) return;
  check(zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one), "ZMQ_CURVE_SERVER");
  set_key(s, ZMQ_CURVE_SECRETKEY, "BENCH_CURVE_SERVER_SECRET_KEY");
}

static void curve_client(void *s) {
  if (strcmp(g_mechanism, "curve") != 0) return;
  set_key(s, ZMQ_CURVE_SERVERKEY, "BENCH_CURVE_SERVER_KEY");
  set_key(s, ZMQ_CURVE_PUBLICKEY, "BENCH_CURVE_PUBLIC_KEY");
  set_key(s, ZMQ_CURVE_SECRETKEY, "BENCH_CURVE_SECRET_KEY");
}

/* Binds to any loopback port; returns the endpoint in `out`. */
static void bind_any(void *s, char *out, size_t size) {
  check(zmq_bind(s, "tcp://127.0.0.1:*"), "zmq_bind");
  check(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, out, &size), "ZMQ_LAST_ENDPOINT");
}

static void ready(int count, char endpoints[][256]) {
  int major, minor, patch;
  zmq_version(&major, &minor, &patch);
  printf("{\"type\":\"ready\",\"endpoints\":[");
  for (int i = 0; i < count; i++) printf("%s\"%s\"", i == 0 ? "" : ",", endpoints[i]);
  printf("],\"runtime\":\"native\",\"version\":\"%d.%d.%d\",\"libzmq\":\"%d.%d.%d\"}\n", major,
         minor, patch, major, minor, patch);
  fflush(stdout);
}

static void add_endpoints(char *text) {
  char *saveptr;
  for (char *p = strtok_r(text, ",\n", &saveptr); p != NULL && g_endpoint_count < MAX_ENDPOINTS;
       p = strtok_r(NULL, ",\n", &saveptr))
    g_endpoints[g_endpoint_count++] = p;
}

/* Without endpoints=..., the endpoints come as one comma-separated line on stdin. */
static void need_endpoints(int n) {
  static char line[4096];
  if (g_endpoint_count == 0 && fgets(line, sizeof line, stdin) != NULL) add_endpoints(line);
  if (g_endpoint_count < n) {
    fprintf(stderr, "zmq_end: %s %s needs %d endpoint(s)\n", g_case, g_role, n);
    exit(2);
  }
}

/* Receives one message of `frames` frames, the last of g_size bytes; returns the first frame's
 * size (a routing id for a Router) copied into `first` when it is not NULL. */
static void receive_checked(void *s, int frames, zmq_msg_t *first) {
  zmq_msg_t msg;
  for (int i = 0; i < frames; i++) {
    zmq_msg_t *m = (i == 0 && first != NULL) ? first : &msg;
    zmq_msg_init(m);
    check(zmq_msg_recv(m, s, 0), "zmq_msg_recv");
    int more = zmq_msg_more(m);
    if (i < frames - 1 ? !more : more) {
      fprintf(stderr, "zmq_end: expected %d frame(s)\n", frames);
      exit(1);
    }
    if (i == frames - 1 && (long)zmq_msg_size(m) != g_size) {
      fprintf(stderr, "zmq_end: expected %ld bytes, got %zu\n", g_size, zmq_msg_size(m));
      exit(1);
    }
    if (m == &msg) zmq_msg_close(&msg);
  }
}

static void send_text(void *s, const char *text, int flags) {
  check(zmq_send(s, text, strlen(text), flags), "zmq_send");
}

static void expect_text(void *s, const char *text) {
  char buffer[64];
  int n = zmq_recv(s, buffer, sizeof buffer - 1, 0);
  check(n, "zmq_recv");
  buffer[n] = 0;
  if (strcmp(buffer, text) != 0) {
    fprintf(stderr, "zmq_end: expected \"%s\", got \"%s\"\n", text, buffer);
    exit(1);
  }
}

static void send_payloads(void *s, const char *payload, long n) {
  for (long i = 0; i < n; i++) check(zmq_send(s, payload, g_size, 0), "zmq_send");
}

static void throughput_result(double seconds, long messages) {
  char fields[256];
  snprintf(fields, sizeof fields,
           "\"seconds\":%.6f,\"messages\":%ld,\"messagesPerSecond\":%.1f,"
           "\"megabytesPerSecond\":%.3f",
           seconds, messages, messages / seconds, messages * (double)g_size / seconds / 1e6);
  emit(fields);
}

/* push-pull and dealer-router: as bench/end.ts, the "go" and "done" answers on the way back. */
static void throughput_tcp(int router) {
  char *payload = calloc(1, g_size + 1);
  if (strcmp(g_role, "bind") == 0) {
    char endpoints[2][256];
    void *in = socket_of(router ? ZMQ_ROUTER : ZMQ_PULL);
    void *back = router ? in : socket_of(ZMQ_PUSH);
    curve_server(in);
    bind_any(in, endpoints[0], sizeof endpoints[0]);
    if (!router) bind_any(back, endpoints[1], sizeof endpoints[1]);
    ready(router ? 1 : 2, endpoints);
    zmq_msg_t id;
    double start = 0, end = 0;
    for (long i = 1; i <= g_warmup + g_count; i++) {
      receive_checked(in, router ? 2 : 1, router ? &id : NULL);
      if (i == g_warmup || i == g_warmup + g_count) {
        if (i == g_warmup) start = now_seconds();
        else end = now_seconds();
        if (router) check(zmq_msg_send(&id, in, ZMQ_SNDMORE), "zmq_msg_send");
        send_text(back, i == g_warmup ? "go" : "done", 0);
      } else if (router) {
        zmq_msg_close(&id);
      }
    }
    throughput_result(end - start, g_count);
    zmq_close(in);
    if (!router) zmq_close(back);
  } else {
    need_endpoints(router ? 1 : 2);
    void *out = socket_of(router ? ZMQ_DEALER : ZMQ_PUSH);
    void *back = router ? out : socket_of(ZMQ_PULL);
    curve_client(out);
    if (!router) check(zmq_connect(back, g_endpoints[1]), "zmq_connect");
    check(zmq_connect(out, g_endpoints[0]), "zmq_connect");
    send_payloads(out, payload, g_warmup);
    expect_text(back, "go");
    double start = now_seconds();
    send_payloads(out, payload, g_count);
    double send_seconds = now_seconds() - start;
    expect_text(back, "done");
    char fields[64];
    snprintf(fields, sizeof fields, "\"sendSeconds\":%.6f", send_seconds);
    emit(fields);
    zmq_close(out);
    if (!router) zmq_close(back);
  }
  free(payload);
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest rank, as bench/stats.ts. */
static double percentile(const double *sorted, long n, double q) {
  long rank = (long)(q * n + 0.999999999);
  if (rank < 1) rank = 1;
  return sorted[rank - 1];
}

/* req-rep-rtt and dealer-router-rtt: the binding end echoes, the connecting end times. */
static void round_trips(int router) {
  char *payload = calloc(1, g_size + 1);
  long total = g_warmup + g_count;
  if (strcmp(g_role, "bind") == 0) {
    char endpoints[1][256];
    void *s = socket_of(router ? ZMQ_ROUTER : ZMQ_REP);
    bind_any(s, endpoints[0], sizeof endpoints[0]);
    ready(1, endpoints);
    for (long i = 0; i < total; i++) {
      zmq_msg_t id, body;
      if (router) {
        zmq_msg_init(&id);
        check(zmq_msg_recv(&id, s, 0), "zmq_msg_recv");
      }
      zmq_msg_init(&body);
      check(zmq_msg_recv(&body, s, 0), "zmq_msg_recv");
      if ((long)zmq_msg_size(&body) != g_size) {
        fprintf(stderr, "zmq_end: expected %ld bytes, got %zu\n", g_size, zmq_msg_size(&body));
        exit(1);
      }
      if (router) check(zmq_msg_send(&id, s, ZMQ_SNDMORE), "zmq_msg_send");
      check(zmq_msg_send(&body, s, 0), "zmq_msg_send");
    }
    emit("\"echoed\":1");
    zmq_close(s);
  } else {
    need_endpoints(1);
    void *s = socket_of(router ? ZMQ_DEALER : ZMQ_REQ);
    check(zmq_connect(s, g_endpoints[0]), "zmq_connect");
    double *samples = malloc(sizeof(double) * (g_count > 0 ? g_count : 1));
    for (long i = 0; i < total; i++) {
      double start = now_seconds();
      check(zmq_send(s, payload, g_size, 0), "zmq_send");
      int n = zmq_recv(s, payload, g_size + 1, 0);
      check(n, "zmq_recv");
      if (n != g_size) {
        fprintf(stderr, "zmq_end: expected %ld bytes back, got %d\n", g_size, n);
        exit(1);
      }
      if (i >= g_warmup) samples[i - g_warmup] = (now_seconds() - start) * 1e6;
    }
    double sum = 0;
    for (long i = 0; i < g_count; i++) sum += samples[i];
    qsort(samples, g_count, sizeof(double), compare_doubles);
    char fields[256];
    snprintf(fields, sizeof fields,
             "\"roundTrips\":%ld,\"meanUs\":%.3f,\"p50Us\":%.3f,\"p99Us\":%.3f,\"seconds\":%.6f",
             g_count, sum / g_count, percentile(samples, g_count, 0.5),
             percentile(samples, g_count, 0.99), sum / 1e6);
    emit(fields);
    free(samples);
    zmq_close(s);
  }
  free(payload);
}

/* Marks in the first payload byte of pub-sub: warm-up, timed, end. */
enum { WARM = 0, TIMED = 1, END = 2 };

/* Sends `n` marked messages, then waits up to 1 ms for `answer` on `back`; returns 1 if it came. */
static int publish_until(void *pub, void *back, char *payload, int mark, long n,
                         const char *answer) {
  payload[0] = (char)mark;
  send_payloads(pub, payload, n);
  zmq_pollitem_t item = {back, 0, ZMQ_POLLIN, 0};
  check(zmq_poll(&item, 1, 1), "zmq_poll");
  if (!(item.revents & ZMQ_POLLIN)) return 0;
  expect_text(back, answer);
  return 1;
}

static void pub_sub(void) {
  char *payload = calloc(1, g_size + 1);
  if (g_size < 1) {
    fprintf(stderr, "zmq_end: pub-sub needs size >= 1\n");
    exit(2);
  }
  if (strcmp(g_role, "bind") == 0) {
    char endpoints[2][256];
    void *pub = socket_of(ZMQ_PUB);
    void *back = socket_of(ZMQ_PULL);
    int zero = 0;
    /* End markers still queued for subscribers that have gone must not hold up the exit. */
    check(zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero), "ZMQ_LINGER");
    bind_any(pub, endpoints[0], sizeof endpoints[0]);
    bind_any(back, endpoints[1], sizeof endpoints[1]);
    ready(2, endpoints);
    while (!publish_until(pub, back, payload, WARM, 100, "ready")) {
    }
    payload[0] = TIMED;
    double start = now_seconds();
    send_payloads(pub, payload, g_count);
    double send_seconds = now_seconds() - start;
    while (!publish_until(pub, back, payload, END, 1, "done")) {
    }
    char fields[64];
    snprintf(fields, sizeof fields, "\"sendSeconds\":%.6f", send_seconds);
    emit(fields);
    zmq_close(pub);
    zmq_close(back);
  } else {
    need_endpoints(2);
    long n = g_subscribers;
    if (n < 1 || n > MAX_SUBSCRIBERS) {
      fprintf(stderr, "zmq_end: subscribers must be 1..%d\n", MAX_SUBSCRIBERS);
      exit(2);
    }
    void *back = socket_of(ZMQ_PUSH);
    check(zmq_connect(back, g_endpoints[1]), "zmq_connect");
    zmq_pollitem_t *items = calloc(n, sizeof *items);
    char *warmed = calloc(n, 1), *ended = calloc(n, 1);
    for (long i = 0; i < n; i++) {
      items[i].socket = socket_of(ZMQ_SUB);
      check(zmq_setsockopt(items[i].socket, ZMQ_SUBSCRIBE, "", 0), "ZMQ_SUBSCRIBE");
      check(zmq_connect(items[i].socket, g_endpoints[0]), "zmq_connect");
      items[i].events = ZMQ_POLLIN;
    }
    long warm_subscribers = 0, warm_messages = 0, end_subscribers = 0, timed = 0;
    int answered = 0;
    double start = 0, last = 0;
    char *buffer = malloc(g_size + 1);
    while (end_subscribers < n) {
      check(zmq_poll(items, n, -1), "zmq_poll");
      for (long i = 0; i < n; i++) {
        if (!(items[i].revents & ZMQ_POLLIN)) continue;
        int got;
        while ((got = zmq_recv(items[i].socket, buffer, g_size + 1, ZMQ_DONTWAIT)) >= 0) {
          if (got != g_size) {
            fprintf(stderr, "zmq_end: expected %ld bytes, got %d\n", g_size, got);
            exit(1);
          }
          if (buffer[0] == WARM) {
            warm_messages++;
            if (!warmed[i]) warmed[i] = 1, warm_subscribers++;
          } else if (buffer[0] == TIMED) {
            if (timed++ == 0) start = now_seconds();
          } else if (!ended[i]) {
            /* As the other ends measure: up to the last subscriber's first end message. */
            double now = now_seconds();
            if (now > last) last = now;
            ended[i] = 1;
            end_subscribers++;
          }
        }
      }
      if (!answered && warm_subscribers == n && warm_messages >= g_warmup) {
        answered = 1;
        send_text(back, "ready", 0);
      }
    }
    send_text(back, "done", 0);
    char fields[256];
    double seconds = last - start;
    snprintf(fields, sizeof fields,
             "\"seconds\":%.6f,\"messages\":%ld,\"expected\":%ld,\"messagesPerSecond\":%.1f,"
             "\"megabytesPerSecond\":%.3f",
             seconds, timed, g_count * n, timed / seconds, timed * (double)g_size / seconds / 1e6);
    emit(fields);
    for (long i = 0; i < n; i++) zmq_close(items[i].socket);
    zmq_close(back);
    free(buffer);
  }
  free(payload);
}

static void *inproc_sender(void *arg) {
  char *payload = arg;
  void *push = socket_of(ZMQ_PUSH);
  check(zmq_connect(push, "inproc://bench"), "zmq_connect");
  send_payloads(push, payload, g_warmup + g_count);
  zmq_close(push);
  return NULL;
}

static void inproc_push_pull(void) {
  char *payload = calloc(1, g_size + 1);
  void *pull = socket_of(ZMQ_PULL);
  check(zmq_bind(pull, "inproc://bench"), "zmq_bind");
  ready(0, NULL);
  pthread_t thread;
  if (pthread_create(&thread, NULL, inproc_sender, payload) != 0) die("pthread_create");
  double start = 0;
  for (long i = 1; i <= g_warmup + g_count; i++) {
    receive_checked(pull, 1, NULL);
    if (i == g_warmup) start = now_seconds();
  }
  double seconds = now_seconds() - start;
  pthread_join(thread, NULL);
  throughput_result(seconds, g_count);
  zmq_close(pull);
  free(payload);
}

static long number(const char *name, const char *text) {
  char *end;
  long value = strtol(text, &end, 10);
  if (*text == 0 || *end != 0 || value < 0) {
    fprintf(stderr, "zmq_end: bad %s=%s\n", name, text);
    exit(2);
  }
  return value;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: zmq_end <case> role=... size=N count=N warmup=N [mechanism=...]"
                    " [subscribers=N] [endpoints=A,B]\n");
    return 2;
  }
  g_case = argv[1];
  for (int i = 2; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (eq == NULL) {
      fprintf(stderr, "zmq_end: bad argument %s\n", argv[i]);
      return 2;
    }
    *eq = 0;
    const char *name = argv[i], *value = eq + 1;
    if (strcmp(name, "role") == 0) g_role = value;
    else if (strcmp(name, "mechanism") == 0) g_mechanism = value;
    else if (strcmp(name, "size") == 0) g_size = number(name, value);
    else if (strcmp(name, "count") == 0) g_count = number(name, value);
    else if (strcmp(name, "warmup") == 0) g_warmup = number(name, value);
    else if (strcmp(name, "subscribers") == 0) g_subscribers = number(name, value);
    else if (strcmp(name, "endpoints") == 0) add_endpoints(strdup(value));
    else {
      fprintf(stderr, "zmq_end: unknown argument %s\n", name);
      return 2;
    }
  }
  if (g_size < 0 || g_count < 1 || g_warmup < 1) {
    fprintf(stderr, "zmq_end: size, count >= 1 and warmup >= 1 are required\n");
    return 2;
  }
  g_ctx = zmq_ctx_new();
  if (strcmp(g_case, "push-pull") == 0) throughput_tcp(0);
  else if (strcmp(g_case, "dealer-router") == 0) throughput_tcp(1);
  else if (strcmp(g_case, "req-rep-rtt") == 0) round_trips(0);
  else if (strcmp(g_case, "dealer-router-rtt") == 0) round_trips(1);
  else if (strcmp(g_case, "pub-sub") == 0) pub_sub();
  else if (strcmp(g_case, "inproc-push-pull") == 0) inproc_push_pull();
  else {
    fprintf(stderr, "zmq_end: unknown case %s\n", g_case);
    return 2;
  }
  zmq_ctx_term(g_ctx);
  return 0;
}
