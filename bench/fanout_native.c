/*
 * The native libzmq reference for the fan-out case (bench/fanout.ts): the same two ends as
 * bench/fanout_end.ts, in C over libzmq, speaking the same JSON lines.
 *
 *     cc -O2 -o fanout_native bench/fanout_native.c -lzmq
 *     fanout_native pub <count> <size> [sndhwm]
 *     fanout_native sub <endpoint> <subscribers>
 *
 * pub binds a PUB to tcp://127.0.0.1:*, prints {"type":"ready","endpoint":...}, publishes a
 * warm-up message ('W') every millisecond until a line arrives on stdin, then publishes
 * <count> messages of <size> bytes ('D') as fast as zmq_send takes them, prints "sent", and
 * publishes an end message ('E') every millisecond until stdin ends. [sndhwm] sets ZMQ_SNDHWM
 * (default 1000, as monocoque's; 0 for no limit: nothing is dropped, libzmq queues it all).
 * sub connects <subscribers> SUB sockets (each its own connection, subscribed to ""),
 * prints "ready" once each has had a warm-up message, counts data messages, and prints "done"
 * once each has had an end message, with the seconds from the first data message (on any
 * socket) to the last end message (as bench/fanout_end.ts measures).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int stdin_event(void) {
  /* 1: a line or the end of stdin arrived; 0: nothing yet. */
  zmq_pollitem_t item = {NULL, 0, ZMQ_POLLIN, 0};
  return zmq_poll(&item, 1, 0) > 0;
}

static int publish(long count, int size, int hwm) {
  void *context = zmq_ctx_new();
  void *pub = zmq_socket(context, ZMQ_PUB);
  zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
  if (zmq_bind(pub, "tcp://127.0.0.1:*") != 0) return perror("bind"), 1;
  char endpoint[256];
  size_t length = sizeof endpoint;
  zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, endpoint, &length);
  printf("{\"type\":\"ready\",\"endpoint\":\"%s\"}\n", endpoint);
  fflush(stdout);
  char *message = calloc(1, size);
  message[0] = 'W';
  char line[256];
  while (!stdin_event()) {
    zmq_send(pub, message, size, 0);
    usleep(1000);
  }
  if (fgets(line, sizeof line, stdin) == NULL) return 0;
  message[0] = 'D';
  double start = now();
  for (long i = 0; i < count; i++) zmq_send(pub, message, size, 0);
  printf("{\"type\":\"sent\",\"count\":%ld,\"seconds\":%.6f}\n", count, now() - start);
  fflush(stdout);
  message[0] = 'E';
  for (;;) {
    zmq_send(pub, message, size, 0);
    usleep(1000);
    if (stdin_event() && fgets(line, sizeof line, stdin) == NULL) break;
  }
  int linger = 0;
  zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
  zmq_close(pub);
  zmq_ctx_term(context);
  return 0;
}

static int subscribe(const char *endpoint, int n) {
  void *context = zmq_ctx_new();
  void **subs = calloc(n, sizeof *subs);
  zmq_pollitem_t *items = calloc(n, sizeof *items);
  long *received = calloc(n, sizeof *received);
  char *state = calloc(n, 1); /* 0 connecting, 1 warmed up, 2 ended */
  for (int i = 0; i < n; i++) {
    subs[i] = zmq_socket(context, ZMQ_SUB);
    zmq_setsockopt(subs[i], ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(subs[i], endpoint) != 0) return perror("connect"), 1;
    items[i].socket = subs[i];
    items[i].events = ZMQ_POLLIN;
  }
  int warm = 0, ended = 0;
  double first = 0, last = 0;
  char buffer[65536];
  while (ended < n) {
    if (zmq_poll(items, n, 1000) < 0) return perror("poll"), 1;
    for (int i = 0; i < n; i++) {
      if (!(items[i].revents & ZMQ_POLLIN)) continue;
      for (;;) {
        int size = zmq_recv(subs[i], buffer, sizeof buffer, ZMQ_DONTWAIT);
        if (size < 0) break;
        if (buffer[0] == 'D') {
          if (first == 0) first = now();
          received[i]++;
        } else if (buffer[0] == 'W' && state[i] == 0) {
          state[i] = 1;
          if (++warm == n) {
            printf("{\"type\":\"ready\"}\n");
            fflush(stdout);
          }
        } else if (buffer[0] == 'E' && state[i] == 1) {
          state[i] = 2;
          if (++ended == n) last = now();
        }
      }
    }
  }
  long total = 0, least = -1, most = 0;
  for (int i = 0; i < n; i++) {
    total += received[i];
    if (least < 0 || received[i] < least) least = received[i];
    if (received[i] > most) most = received[i];
  }
  printf(
      "{\"type\":\"done\",\"received\":%ld,\"least\":%ld,\"most\":%ld,\"seconds\":%.6f}\n",
      total, least, most, last - first);
  fflush(stdout);
  for (int i = 0; i < n; i++) {
    int linger = 0;
    zmq_setsockopt(subs[i], ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(subs[i]);
  }
  zmq_ctx_term(context);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdin, NULL, _IONBF, 0);
  if ((argc == 4 || argc == 5) && strcmp(argv[1], "pub") == 0) {
    return publish(atol(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 1000);
  }
  if (argc == 4 && strcmp(argv[1], "sub") == 0) return subscribe(argv[2], atoi(argv[3]));
  fprintf(stderr, "usage: %s pub <count> <size> [sndhwm] | sub <endpoint> <subscribers>\n", argv[0]);
  return 2;
}
