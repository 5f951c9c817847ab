/*
 * A fixed-rate (open-loop) HTTP/1.1 load generator for scripts/bench/serve.ts, in the manner of wrk2:
 * request i is due at start + i / rate whatever the server does, and its latency is counted from that
 * due time, so neither a stalled server nor a late generator can hide queueing (no coordinated omission).
 * One thread, epoll_pwait2 sleeping until the next due time (ns timeout, not 1 ms ticks), keep-alive
 * connections (CONNECTIONS, 256 by default, all opened before the clock starts) with one request in
 * flight each; a due request that finds every connection busy waits for one, its clock running (a
 * connect in the middle of the run would block the generator, not the server). A few µs of CPU per request, against
 * ~24 for the Node generator (serve-load.ts), so that on a 2-core machine the CPU goes to the server.
 *
 * Built by scripts/bench/serve-open.ts with the system C compiler (cc -O2); Linux ≥ 5.11 and glibc ≥ 2.35 (epoll_pwait2).
 * Usage: openloop HOST PORT PATH BODY_FILE RATE SECONDS WARMUP_SECONDS [CONNECTIONS]
 * Prints one JSON object: requests, ok, failed, seconds, rps, p50ms, p99ms, maxms, lateP99ms (how late
 * the generator itself sent, p99), cpuUsPerRequest (its own CPU), errors (the first few).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define BUF 16384
#define DRAIN_NS 10e9

typedef struct {
  int fd;
  int busy;
  int recorded; /* the request in flight belongs to the measured phase */
  double due;   /* its due time (ns) */
  size_t sent;  /* request bytes written so far */
  size_t len;   /* response bytes buffered */
  char buf[BUF];
} conn;

static conn *idle[MAX_CONNS];
static int nidle, nconns, max_conns = 256;
static long inflight;
static int ep;
static struct sockaddr_in addr;
static char *request;
static size_t request_len;
static double *lat, *late, *waiting;
static long nlat, nlate, wait_head, wait_tail;
static long ok, failed;
static char errors[4][160];
static int nerrors;

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "openloop: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void note_error(int recorded, const char *e) {
  if (!recorded) return;
  failed++;
  if (nerrors < 4) snprintf(errors[nerrors++], sizeof errors[0], "%s", e);
}

static conn *open_conn(void) {
  if (nconns == max_conns) return NULL;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* a blocking connect on loopback completes at once; everything after it is non-blocking */
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) die("fcntl");
  conn *c = calloc(1, sizeof *c);
  if (!c) die("calloc");
  c->fd = fd;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  nconns++;
  return c;
}

static void close_conn(conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
  nconns--;
}

static void want_write(conn *c, int on) {
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* writes the rest of the request; 0 when the connection broke */
static int flush(conn *c) {
  while (c->sent < request_len) {
    ssize_t n = send(c->fd, request + c->sent, request_len - c->sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) {
      want_write(c, 1);
      return 1;
    }
    if (n <= 0) return 0;
    c->sent += n;
  }
  return 1;
}

static void issue_on(conn *c, double due, int recorded, double now);

/* a request waiting for a connection gets a new one in place of a closed one */
static void replace_closed(double now) {
  if (wait_head == wait_tail) return;
  conn *c = open_conn();
  double d = waiting[wait_head++];
  issue_on(c, d < 0 ? -d : d, d >= 0, now);
}

static void fail_conn(conn *c, const char *why) {
  if (c->busy) {
    note_error(c->recorded, why);
    inflight--;
  }
  close_conn(c);
  replace_closed(now_ns());
}

static void issue_on(conn *c, double due, int recorded, double now) {
  c->busy = 1;
  c->due = due;
  c->recorded = recorded;
  c->sent = 0;
  c->len = 0;
  inflight++;
  if (recorded) late[nlate++] = now - due;
  if (!flush(c)) fail_conn(c, "connection broke while sending");
}

static void issue(double due, int recorded, double now) {
  conn *c = nidle ? idle[--nidle] : NULL;
  if (c) issue_on(c, due, recorded, now);
  else waiting[wait_tail++] = recorded ? due : -due; /* sign carries "recorded" */
}

/* a complete response is in c->buf: 1 when parsed (and consumed), 0 when more bytes are needed */
static int take_response(conn *c, double now) {
  char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
  if (!end) return 0;
  size_t head = end - c->buf + 4;
  long length = 0;
  int closing = 0;
  for (char *p = c->buf; p < end; p++) {
    if (p[0] != '\n') continue;
    if (!strncasecmp(p + 1, "content-length:", 15)) length = strtol(p + 16, NULL, 10);
    if (!strncasecmp(p + 1, "connection: close", 17)) closing = 1;
  }
  if (c->len < head + length) return 0;
  int status = atoi(c->buf + 9);
  if (c->recorded) {
    lat[nlat++] = now - c->due;
    if (status == 200) ok++;
    else {
      char e[64];
      snprintf(e, sizeof e, "HTTP %d", status);
      note_error(1, e);
    }
  }
  c->busy = 0;
  inflight--;
  if (closing) {
    close_conn(c);
    replace_closed(now);
    return 1;
  }
  if (wait_head < wait_tail) {
    double d = waiting[wait_head++];
    issue_on(c, d < 0 ? -d : d, d >= 0, now);
  } else idle[nidle++] = c;
  return 1;
}

static void on_readable(conn *c, double now) {
  for (;;) {
    if (c->len == BUF) return fail_conn(c, "response larger than the buffer");
    ssize_t n = recv(c->fd, c->buf + c->len, BUF - c->len, 0);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) return fail_conn(c, "connection closed before the response");
    if (!c->busy) return fail_conn(c, "bytes without a request");
    c->len += n;
    if (take_response(c, now)) return;
  }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *v, long n, double q) {
  if (!n) return -1;
  long i = (long)(q * n);
  return v[i < n ? i : n - 1] / 1e6;
}

static double cpu_us(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_sec * 1e6 + r.ru_stime.tv_usec;
}

int main(int argc, char **argv) {
  if (argc != 8 && argc != 9) {
    fprintf(stderr, "usage: openloop HOST PORT PATH BODY_FILE RATE SECONDS WARMUP_SECONDS [CONNECTIONS]\n");
    return 2;
  }
  if (argc == 9) max_conns = atoi(argv[8]);
  if (max_conns < 1 || max_conns > MAX_CONNS) {
    fprintf(stderr, "openloop: CONNECTIONS must be 1 to %d\n", MAX_CONNS);
    return 2;
  }
  double rate = atof(argv[5]), seconds = atof(argv[6]), warmup = atof(argv[7]);
  if (rate <= 0 || seconds <= 0 || warmup < 0) {
    fprintf(stderr, "openloop: RATE and SECONDS must be positive, WARMUP_SECONDS not negative\n");
    return 2;
  }
  FILE *f = fopen(argv[4], "rb");
  if (!f) die(argv[4]);
  static char body[1 << 20];
  size_t body_len = fread(body, 1, sizeof body, f);
  fclose(f);
  request = malloc(body_len + 1024);
  request_len = snprintf(request, 1024, "POST %s HTTP/1.1\r\nhost: %s:%s\r\ncontent-type: application/json\r\ncontent-length: %zu\r\n\r\n", argv[3], argv[1], argv[2], body_len);
  memcpy(request + request_len, body, body_len);
  request_len += body_len;
  addr.sin_family = AF_INET;
  addr.sin_port = htons(atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "openloop: HOST must be an IPv4 address, got %s\n", argv[1]);
    return 2;
  }

  long warm = (long)(rate * warmup), total = warm + (long)(rate * seconds);
  lat = malloc(sizeof(double) * (total + 1));
  late = malloc(sizeof(double) * (total + 1));
  waiting = malloc(sizeof(double) * (total + 1));
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  while (nconns < max_conns) idle[nidle++] = open_conn();

  double step = 1e9 / rate, start = now_ns() + 1e6, cpu0 = 0, cpu1 = 0;
  long next = 0;
  struct epoll_event evs[256];
  for (;;) {
    double now = now_ns();
    for (; next < total && start + next * step <= now; next++) {
      if (next == warm) cpu0 = cpu_us();
      issue(start + next * step, next >= warm, now);
    }
    if (next == total && (inflight == 0 || now > start + total * step + DRAIN_NS)) break;
    /* sleep until the next request is due (epoll_pwait2: ns timeout, no timer fd to arm and read) */
    struct timespec wait = {0, 100000000};
    if (next < total) {
      double dt = start + next * step - now_ns();
      if (dt < 0) dt = 0;
      wait.tv_sec = (time_t)(dt / 1e9);
      wait.tv_nsec = (long)(dt - wait.tv_sec * 1e9);
    }
    int n = epoll_pwait2(ep, evs, 256, &wait, NULL);
    if (n < 0 && errno != EINTR) die("epoll_pwait2");
    now = now_ns();
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (evs[i].events & EPOLLOUT) {
        want_write(c, 0);
        if (!flush(c)) {
          fail_conn(c, "connection broke while sending");
          continue;
        }
      }
      if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c, now);
    }
    if (next == total && !cpu1) cpu1 = cpu_us();
  }
  if (!cpu1) cpu1 = cpu_us();
  for (long i = wait_head; i < wait_tail; i++) note_error(waiting[i] >= 0, "never sent: no free connection");
  if (inflight) {
    char e[96];
    snprintf(e, sizeof e, "%ld requests without a response %.0f s after the last was due", inflight, DRAIN_NS / 1e9);
    failed += inflight;
    if (nerrors < 4) snprintf(errors[nerrors++], sizeof errors[0], "%s", e);
  }
  qsort(lat, nlat, sizeof(double), cmp);
  qsort(late, nlate, sizeof(double), cmp);
  long requests = ok + failed;
  printf("{\"requests\":%ld,\"ok\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"rps\":%.1f,\"p50ms\":%.4f,\"p99ms\":%.4f,\"maxms\":%.4f,\"lateP99ms\":%.4f,\"connections\":%d,\"cpuUsPerRequest\":%.2f,\"errors\":[",
         requests, ok, failed, seconds, requests / seconds, pct(lat, nlat, 0.5), pct(lat, nlat, 0.99), nlat ? lat[nlat - 1] / 1e6 : -1, pct(late, nlate, 0.99), nconns, requests ? (cpu1 - cpu0) / requests : 0);
  for (int i = 0; i < nerrors; i++) printf("%s\"%s\"", i ? "," : "", errors[i]);
  printf("]}\n");
  return 0;
}
