/*
 * Native libzmq baseline for the profile scripts (see bench/NOTES.md).
 *
 *   native pull <endpoint> <size> <count>   binds, prints {"msgs":N,"seconds":S} once N arrived
 *   native push <endpoint> <size> <count>   connects, sends N messages of size bytes; prints {"cpuSeconds"}
 *   native rep  <endpoint> <size>           binds, echoes until killed
 *   native req  <endpoint> <size> <count>   connects, prints {"rounds":N,"meanUs":M}
 *
 * Build: cc -O2 -o /tmp/native bench/profile/native.c -lzmq
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <zmq.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (libzmq's I/O thread included). */
static double cpu(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: native pull|push|rep|req endpoint size [count]\n");
    return 2;
  }
  const char *mode = argv[1];
  const char *endpoint = argv[2];
  size_t size = strtoul(argv[3], NULL, 10);
  long count = argc > 4 ? strtol(argv[4], NULL, 10) : 0;
  void *ctx = zmq_ctx_new();
  char *buffer = calloc(size > 0 ? size : 1, 1);
  if (strcmp(mode, "pull") == 0) {
    void *s = zmq_socket(ctx, ZMQ_PULL);
    check(zmq_bind(s, endpoint), "bind");
    printf("ready\n");
    fflush(stdout);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    check(zmq_msg_recv(&msg, s, 0), "recv");
    double start = now();
    double cpuStart = cpu();
    for (long i = 1; i < count; i++) check(zmq_msg_recv(&msg, s, 0), "recv");
    double seconds = now() - start;
    printf("{\"msgs\":%ld,\"seconds\":%f,\"cpuSeconds\":%f}\n", count, seconds, cpu() - cpuStart);
    zmq_msg_close(&msg);
    zmq_close(s);
  } else if (strcmp(mode, "push") == 0) {
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    check(zmq_connect(s, endpoint), "connect");
    for (long i = 0; i < count; i++) check(zmq_send(s, buffer, size, 0), "send");
    zmq_close(s);
    zmq_ctx_term(ctx);
    printf("{\"cpuSeconds\":%f}\n", cpu());
    return 0;
  } else if (strcmp(mode, "rep") == 0) {
    void *s = zmq_socket(ctx, ZMQ_REP);
    check(zmq_bind(s, endpoint), "bind");
    printf("ready\n");
    fflush(stdout);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (;;) {
      check(zmq_msg_recv(&msg, s, 0), "recv");
      check(zmq_msg_send(&msg, s, 0), "send");
    }
  } else if (strcmp(mode, "req") == 0) {
    void *s = zmq_socket(ctx, ZMQ_REQ);
    check(zmq_connect(s, endpoint), "connect");
    long warmup = count / 10;
    double start = 0;
    for (long i = 0; i < count + warmup; i++) {
      if (i == warmup) start = now();
      check(zmq_send(s, buffer, size, 0), "send");
      check(zmq_recv(s, buffer, size, 0), "recv");
    }
    double seconds = now() - start;
    printf("{\"rounds\":%ld,\"meanUs\":%f}\n", count, seconds / count * 1e6);
    zmq_close(s);
  }
  zmq_ctx_term(ctx);
  return 0;
}
