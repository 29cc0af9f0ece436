/*
 * The physical floor of a netlink round trip between two user-space
 * processes: plain sockets on NETLINK_USERSOCK, no libnl, no family logic.
 * A forked child echoes every request with the ack a family sends for a
 * `do` request with NLM_F_ACK (NLMSG_ERROR, error 0, the request's header),
 * so what is left is the cost of the kernel and the two wake-ups; anything
 * a real client or the model spends above it is its own.
 *
 * usage: netlink-floor [--sync N] [--pipelined N] [--window W] [--warmup N]
 *   --sync N       round trips one at a time (default 20000; 0 skips)
 *   --pipelined N  round trips with up to W in flight (default 200000; 0 skips)
 *   --window W     requests in flight when pipelined (default 64)
 *   --warmup N     untimed round trips before each mode (default 2000)
 *
 * Requests are 64 bytes (nlmsghdr, genlmsghdr, four attributes), flags
 * NLM_F_REQUEST|NLM_F_ACK, with increasing sequence numbers; replies are
 * 36-byte acks.
 *
 * Prints one JSON line on stdout; a skipped mode is left out:
 *   {"sync":{"count":N,"median_ns":..,"p99_ns":..,"mean_ns":..,"min_ns":..},
 *    "pipelined":{"count":N,"window":W,"per_op_ns":..}}
 * Exits 1 with a message on stderr on any failure, 2 on bad usage.
 *
 * build: gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o netlink-floor netlink-floor.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#define REQUEST_LEN 64
#define ACK_LEN (NLMSG_HDRLEN + sizeof(struct nlmsgerr)) /* 36 */
/* Any id a generic family could have; the echo never looks at it. */
#define FAMILY_ID 0x500
/* A lost reply must end the run, not hang it. */
#define REPLY_TIMEOUT_S 5
#define MAX_COUNT 100000000L
/* Keeps the receive buffer a window needs (4 KiB per request) within an int. */
#define MAX_WINDOW 65536L

static pid_t child = -1;

static void stop_child(void)
{
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "netlink-floor: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    stop_child();
    exit(1);
}

static void __attribute__((noreturn)) fail_errno(const char *what)
{
    fail("%s: %s", what, strerror(errno));
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Both sockets get a receive buffer well above what a full window needs:
 * netlink charges each queued datagram at its skb truesize (~1 KiB for
 * these), and a full buffer would make the peer's send block. FORCE needs
 * CAP_NET_ADMIN; without it the plain option is capped at rmem_max.
 */
static int open_socket(int rcvbuf, uint32_t *port)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_USERSOCK);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
        return -1;
    /* nl_pid 0: the kernel picks a free port; read it back. */
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        return -1;
    *port = sa.nl_pid;
    return fd;
}

/* The child: ack every message of every datagram to whoever sent it. */
static void __attribute__((noreturn)) echo(int fd)
{
    static char buf[65536];
    char ack[ACK_LEN];
    struct nlmsghdr *out = (struct nlmsghdr *)ack;
    struct nlmsgerr *err = NLMSG_DATA(out);

    for (;;) {
        struct sockaddr_nl from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        int left = (int)n;
        for (struct nlmsghdr *in = (struct nlmsghdr *)buf; NLMSG_OK(in, left); in = NLMSG_NEXT(in, left)) {
            /* As the kernel's netlink_ack with error 0: capped, so only the header comes back. */
            *out = (struct nlmsghdr){
                .nlmsg_len = ACK_LEN,
                .nlmsg_type = NLMSG_ERROR,
                .nlmsg_flags = NLM_F_CAPPED,
                .nlmsg_seq = in->nlmsg_seq,
                .nlmsg_pid = from.nl_pid,
            };
            err->error = 0;
            err->msg = *in;
            if (sendto(fd, ack, ACK_LEN, 0, (struct sockaddr *)&from, sizeof from) < 0 && errno != EINTR)
                _exit(1);
        }
    }
}

static void start_echo(int rcvbuf, uint32_t *echo_port)
{
    int ready[2];
    if (pipe(ready) < 0)
        fail_errno("pipe");
    pid_t parent = getpid();
    child = fork();
    if (child < 0)
        fail_errno("fork");
    if (child == 0) {
        close(ready[0]);
        /* Never outlive the benchmark, even if it is killed. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(1);
        uint32_t port = 0;
        int fd = open_socket(rcvbuf, &port);
        /* Port 0 tells the parent the socket could not be set up. */
        if (write(ready[1], &port, sizeof port) != sizeof port || fd < 0)
            _exit(1);
        close(ready[1]);
        echo(fd);
    }
    close(ready[1]);
    ssize_t n = read(ready[0], echo_port, sizeof *echo_port);
    close(ready[0]);
    if (n != sizeof *echo_port || *echo_port == 0)
        fail("echo process could not open its netlink socket");
}

/* A 64-byte request shaped like a dev-get `do`: bus, device, index, one more u32. */
static size_t put_attr(char *msg, size_t off, uint16_t type, const void *data, uint16_t len)
{
    struct nlattr *nla = (struct nlattr *)(msg + off);
    nla->nla_type = type;
    nla->nla_len = NLA_HDRLEN + len;
    memcpy((char *)nla + NLA_HDRLEN, data, len);
    memset((char *)nla + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
    return off + NLA_ALIGN(nla->nla_len);
}

static void build_request(char *msg, uint32_t own_port)
{
    memset(msg, 0, REQUEST_LEN);
    struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
    nlh->nlmsg_type = FAMILY_ID;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_pid = own_port;
    struct genlmsghdr *genl = NLMSG_DATA(nlh);
    genl->cmd = 3;
    genl->version = 1;
    size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
    uint32_t index = 7, uid = 0;
    off = put_attr(msg, off, 1, "pci", 4);
    off = put_attr(msg, off, 2, "0000:6a:01.0", 13);
    off = put_attr(msg, off, 3, &index, sizeof index);
    off = put_attr(msg, off, 11, &uid, sizeof uid);
    if (off != REQUEST_LEN)
        fail("request is %zu bytes, not %d", off, REQUEST_LEN);
    nlh->nlmsg_len = REQUEST_LEN;
}

struct bench {
    int fd;
    struct sockaddr_nl peer;
    char request[REQUEST_LEN];
    uint32_t seq;
};

static void send_request(struct bench *b)
{
    ((struct nlmsghdr *)b->request)->nlmsg_seq = ++b->seq;
    ssize_t n;
    do
        n = sendto(b->fd, b->request, REQUEST_LEN, 0, (struct sockaddr *)&b->peer, sizeof b->peer);
    while (n < 0 && errno == EINTR);
    if (n != REQUEST_LEN)
        fail_errno("sendto");
}

/* Receives one ack, checks it, and returns its sequence number. */
static uint32_t receive_ack(struct bench *b)
{
    char buf[256];
    ssize_t n;
    do
        n = recv(b->fd, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN)
            fail("no reply within %d s: the echo process died or a reply was lost", REPLY_TIMEOUT_S);
        fail_errno("recv"); /* ENOBUFS here means the receive buffer overflowed */
    }
    struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
    const struct nlmsgerr *err = NLMSG_DATA(nlh);
    if (n != (ssize_t)ACK_LEN || nlh->nlmsg_len != ACK_LEN || nlh->nlmsg_type != NLMSG_ERROR)
        fail("unexpected reply: %zd bytes, type %u", n, nlh->nlmsg_type);
    if (err->error != 0 || err->msg.nlmsg_seq != nlh->nlmsg_seq)
        fail("ack %u carries error %d for seq %u", nlh->nlmsg_seq, err->error, err->msg.nlmsg_seq);
    return nlh->nlmsg_seq;
}

static void round_trip(struct bench *b)
{
    send_request(b);
    uint32_t seq = receive_ack(b);
    if (seq != b->seq)
        fail("ack for seq %u, expected %u", seq, b->seq);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Results are formatted here and printed at the end, so a failure leaves stdout empty. */
static char sync_json[256], pipelined_json[256];

static void run_sync(struct bench *b, long count, long warmup)
{
    uint64_t *samples = malloc((size_t)count * sizeof *samples);
    if (!samples)
        fail_errno("malloc");
    for (long i = 0; i < warmup; i++)
        round_trip(b);
    for (long i = 0; i < count; i++) {
        uint64_t t0 = now_ns();
        round_trip(b);
        samples[i] = now_ns() - t0;
    }
    qsort(samples, (size_t)count, sizeof *samples, compare_u64);
    uint64_t sum = 0;
    for (long i = 0; i < count; i++)
        sum += samples[i];
    /* Nearest-rank percentiles. */
    long p99 = (count * 99 + 99) / 100 - 1;
    snprintf(sync_json, sizeof sync_json, "\"sync\":{\"count\":%ld,\"median_ns\":%llu,\"p99_ns\":%llu,\"mean_ns\":%llu,\"min_ns\":%llu}",
             count, (unsigned long long)samples[count / 2], (unsigned long long)samples[p99],
             (unsigned long long)(sum / (uint64_t)count), (unsigned long long)samples[0]);
    free(samples);
}

/*
 * Up to `window` requests in flight. Sequence numbers go out in order, so
 * the ones in flight are [base, next) and fit a ring of `window` slots; a
 * reply outside that range or seen twice is an error, and a missing one
 * ends the run at the receive timeout.
 */
static void run_pipelined(struct bench *b, long count, long window, long warmup)
{
    unsigned char *acked = calloc((size_t)window, 1);
    if (!acked)
        fail_errno("malloc");
    for (long i = 0; i < warmup; i++)
        round_trip(b);
    uint32_t first = b->seq + 1, base = first, end = first + (uint32_t)count;
    uint64_t t0 = now_ns();
    while (base != end) {
        if (b->seq + 1 != end && (long)(b->seq + 1 - base) < window) {
            send_request(b);
            continue;
        }
        uint32_t seq = receive_ack(b);
        if (seq - base >= b->seq + 1 - base || acked[seq % window])
            fail("ack for seq %u, which is not in flight", seq);
        acked[seq % window] = 1;
        while (base != b->seq + 1 && acked[base % window])
            acked[base++ % window] = 0;
    }
    uint64_t elapsed = now_ns() - t0;
    snprintf(pipelined_json, sizeof pipelined_json, "\"pipelined\":{\"count\":%ld,\"window\":%ld,\"per_op_ns\":%.1f}",
             count, window, (double)elapsed / (double)count);
    free(acked);
}

static long parse_count(const char *option, const char *value, long min, long max)
{
    char *end = NULL;
    errno = 0;
    long n = value ? strtol(value, &end, 10) : -1;
    if (!value || errno || *end || n < min || n > max) {
        fprintf(stderr, "netlink-floor: %s needs a number from %ld to %ld\n", option, min, max);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    long sync = 20000, pipelined = 200000, window = 64, warmup = 2000;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--sync") == 0)
            sync = parse_count(argv[i], value, 0, MAX_COUNT);
        else if (strcmp(argv[i], "--pipelined") == 0)
            pipelined = parse_count(argv[i], value, 0, MAX_COUNT);
        else if (strcmp(argv[i], "--window") == 0)
            window = parse_count(argv[i], value, 1, MAX_WINDOW);
        else if (strcmp(argv[i], "--warmup") == 0)
            warmup = parse_count(argv[i], value, 0, MAX_COUNT);
        else {
            fprintf(stderr, "usage: netlink-floor [--sync N] [--pipelined N] [--window W] [--warmup N]\n");
            return 2;
        }
        i++;
    }

    /* 4 MiB, or more for a window that would not fit in it. */
    int rcvbuf = window * 4096 > (4 << 20) ? (int)window * 4096 : 4 << 20;
    uint32_t echo_port, own_port;
    start_echo(rcvbuf, &echo_port);

    struct bench b = { .peer = { .nl_family = AF_NETLINK, .nl_pid = echo_port } };
    b.fd = open_socket(rcvbuf, &own_port);
    if (b.fd < 0)
        fail_errno("netlink socket");
    struct timeval timeout = { .tv_sec = REPLY_TIMEOUT_S };
    if (setsockopt(b.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
        setsockopt(b.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) < 0)
        fail_errno("setsockopt timeouts");
    build_request(b.request, own_port);

    if (sync > 0)
        run_sync(&b, sync, warmup);
    if (pipelined > 0)
        run_pipelined(&b, pipelined, window, warmup);
    printf("{%s%s%s}\n", sync_json, sync > 0 && pipelined > 0 ? "," : "", pipelined_json);

    stop_child();
    close(b.fd);
    return fflush(stdout) == 0 ? 0 : 1;
}
