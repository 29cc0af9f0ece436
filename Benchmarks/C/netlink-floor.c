/*
 * The physical floor of a netlink round trip between two user-space
 * processes: plain sockets on NETLINK_USERSOCK, no libnl, no family logic.
 * A forked child echoes every request with the ack a family sends for a
 * `do` request with NLM_F_ACK (NLMSG_ERROR, error 0, the request's header),
 * so what is left is the cost of the kernel and the two wake-ups; anything
 * a real client or the model spends above it is its own.
 *
 * A second child, the family floor, answers as the least a family served
 * from user space must do for a `do` request that changes something: it
 * waits in epoll_wait (a server watches more than one descriptor), reads
 * with one recvmsg, and answers with one sendmmsg of two datagrams, the
 * change's notification to a multicast group nobody has joined and the
 * ack. Both ends are on NETLINK_GENERIC, as a client and subdevd are, so
 * the notification also goes to the kernel's genl_rcv, as subdevd's does.
 * With --files, it also makes the file calls subdevd makes for a
 * subdevice kept for reuse (Docs/performance.md): an odd request moves a
 * directory into place and links a device node and a class link, an even
 * one polls the node's listener, unlinks both names and moves the
 * directory back. subdevd's own work is what it spends above these.
 *
 * usage: netlink-floor [--sync N] [--pipelined N] [--batch] [--window W] [--warmup N]
 *                      [--family N] [--files DIR]
 *   --sync N       round trips one at a time (default 20000; 0 skips)
 *   --pipelined N  round trips with up to W in flight (default 200000; 0 skips)
 *   --batch        also N pipelined round trips with the requesting process
 *                  under SCHED_BATCH, as the Swift client waits for a
 *                  pipeline's answers (its wake-ups preempt nothing); the
 *                  echo stays under SCHED_OTHER, as subdevd does
 *   --window W     requests in flight when pipelined (default 64)
 *   --warmup N     untimed round trips before each mode (default 2000)
 *   --family N     pairs of round trips to the family floor (default 0: skipped)
 *   --files DIR    also N pairs to the family floor with file calls, in a
 *                  new directory under DIR (removed at the end)
 *
 * Requests are 64 bytes (nlmsghdr, genlmsghdr, four attributes), flags
 * NLM_F_REQUEST|NLM_F_ACK, with increasing sequence numbers; replies are
 * 36-byte acks.
 *
 * Prints one JSON line on stdout; a skipped mode is left out:
 *   {"sync":{"count":N,"median_ns":..,"p99_ns":..,"mean_ns":..,"min_ns":..},
 *    "pipelined":{"count":N,"window":W,"per_op_ns":..},
 *    "pipelined_batch":{"count":N,"window":W,"per_op_ns":..},
 *    "family":{"pairs":N,"median_ns":..,"p99_ns":..},
 *    "family_files":{"pairs":N,"median_ns":..,"p99_ns":..}}
 * where a family figure is the time of a pair of round trips.
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
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
/* The family floor's notification goes to the highest group a sockaddr_nl
 * can name, the one subdevd takes first when no kernel family has it. */
#define NOTIFY_GROUP 32
/* What the family floor reads into: as large as the client's room. */
#define FAMILY_ROOM (128 * 1024)

static pid_t child = -1;
/* The family floor's directory while it exists, so that a failure removes it too. */
static char files_dir[PATH_MAX];
static void remove_files(const char *dir);

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
    if (files_dir[0])
        remove_files(files_dir);
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
static int open_socket(int protocol, int rcvbuf, uint32_t *port)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
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

/* The ack the kernel's netlink_ack makes for `in` with error 0: capped, so only the header comes back. */
static void make_ack(char *ack, const struct nlmsghdr *in, uint32_t to)
{
    struct nlmsghdr *out = (struct nlmsghdr *)ack;
    struct nlmsgerr *err = NLMSG_DATA(out);
    *out = (struct nlmsghdr){
        .nlmsg_len = ACK_LEN,
        .nlmsg_type = NLMSG_ERROR,
        .nlmsg_flags = NLM_F_CAPPED,
        .nlmsg_seq = in->nlmsg_seq,
        .nlmsg_pid = to,
    };
    err->error = 0;
    err->msg = *in;
}

/* The echo: ack every message of every datagram to whoever sent it. */
static void __attribute__((noreturn)) echo(int fd)
{
    static char buf[65536];
    char ack[ACK_LEN];
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
            make_ack(ack, in, from.nl_pid);
            if (sendto(fd, ack, ACK_LEN, 0, (struct sockaddr *)&from, sizeof from) < 0 && errno != EINTR)
                _exit(1);
        }
    }
}

/*
 * The file calls of a subdevice kept for reuse, as subdevd makes them:
 * each names one component relative to a directory held open.
 */
struct files {
    int store, parent, devices, class;
    int listener;
};

static void __attribute__((noreturn)) child_fail(const char *what)
{
    fprintf(stderr, "netlink-floor: family floor: %s: %s\n", what, strerror(errno));
    _exit(1);
}

static int open_directory(const char *base, const char *name)
{
    char path[PATH_MAX + 32]; /* the directory and one short name */
    snprintf(path, sizeof path, "%s/%s", base, name);
    if (mkdir(path, 0755) < 0)
        child_fail(path);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        child_fail(path);
    return fd;
}

/* Made once, as subdevd's stores hold them after a subdevice's first removal. */
static void prepare_files(struct files *f, const char *dir)
{
    f->store = open_directory(dir, "store");
    f->parent = open_directory(dir, "parent");
    f->devices = open_directory(dir, "devices");
    f->class = open_directory(dir, "class");
    if (mkdirat(f->store, "dev0", 0755) < 0)
        child_fail("mkdirat dev0");
    if (symlinkat("../parent/dev0", f->store, "class0") < 0)
        child_fail("symlinkat class0");
    /* The node: a listening socket, as subdevd's device nodes are. */
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/store/vfio0", dir) >= (int)sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        child_fail("node path");
    }
    f->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (f->listener < 0 || bind(f->listener, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(f->listener, 8) < 0)
        child_fail("node");
}

static void make_subdevice_files(const struct files *f)
{
    if (renameat(f->store, "dev0", f->parent, "dev0") < 0)
        child_fail("renameat into place");
    if (linkat(f->store, "vfio0", f->devices, "vfio0", 0) < 0)
        child_fail("linkat node");
    if (linkat(f->store, "class0", f->class, "vfio0", 0) < 0)
        child_fail("linkat class link");
}

static void remove_subdevice_files(const struct files *f)
{
    struct pollfd waiting = { .fd = f->listener, .events = POLLIN };
    if (poll(&waiting, 1, 0) < 0)
        child_fail("poll");
    if (unlinkat(f->devices, "vfio0", 0) < 0)
        child_fail("unlinkat node");
    if (unlinkat(f->class, "vfio0", 0) < 0)
        child_fail("unlinkat class link");
    if (renameat(f->parent, "dev0", f->store, "dev0") < 0)
        child_fail("renameat back");
}

/* Removes what prepare_files and the calls made; whatever state the child was killed in. */
static void remove_files(const char *dir)
{
    static const char *const names[] = {
        "devices/vfio0", "class/vfio0", "store/vfio0", "store/class0",
    };
    static const char *const directories[] = {
        "parent/dev0", "store/dev0", "store", "parent", "devices", "class", "",
    };
    char path[PATH_MAX + 32]; /* the directory and one short name */
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    for (size_t i = 0; i < sizeof directories / sizeof *directories; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, directories[i]);
        rmdir(path);
    }
}

/*
 * The family floor: one epoll_wait, one recvmsg and one sendmmsg of the
 * notification and the ack per request, as subdevd answers a single one.
 */
static void __attribute__((noreturn)) family(int fd, uint32_t own_port, const struct files *files)
{
    static char buf[FAMILY_ROOM];
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = { .events = EPOLLIN, .data.fd = fd };
    if (epoll < 0 || epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) < 0)
        child_fail("epoll");
    char notification[REQUEST_LEN], ack[ACK_LEN];
    struct sockaddr_nl group = { .nl_family = AF_NETLINK, .nl_groups = 1u << (NOTIFY_GROUP - 1) };
    for (;;) {
        struct epoll_event ready;
        int n = epoll_wait(epoll, &ready, 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            child_fail("epoll_wait");
        struct sockaddr_nl from;
        struct iovec in = { .iov_base = buf, .iov_len = sizeof buf };
        struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &in, .msg_iovlen = 1 };
        ssize_t length = recvmsg(fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
        if (length < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (length > (ssize_t)sizeof buf)
            errno = EMSGSIZE;
        if (length < 0 || length > (ssize_t)sizeof buf)
            child_fail("recvmsg");
        int left = (int)length;
        /* The client counts sequence numbers from 1 and sends pairs: odd makes, even removes. */
        for (struct nlmsghdr *request = (struct nlmsghdr *)buf; NLMSG_OK(request, left); request = NLMSG_NEXT(request, left)) {
            if (request->nlmsg_len != REQUEST_LEN) {
                errno = EPROTO;
                child_fail("request length");
            }
            if (files && request->nlmsg_seq % 2 == 1)
                make_subdevice_files(files);
            else if (files)
                remove_subdevice_files(files);
            /* The notification: the request's body, from this port, as a kernel family's has sequence 0. */
            memcpy(notification, request, REQUEST_LEN);
            struct nlmsghdr *ntf = (struct nlmsghdr *)notification;
            ntf->nlmsg_flags = 0;
            ntf->nlmsg_seq = 0;
            ntf->nlmsg_pid = own_port;
            make_ack(ack, request, from.nl_pid);
            struct iovec out[2] = { { notification, REQUEST_LEN }, { ack, ACK_LEN } };
            struct mmsghdr datagrams[2] = {
                { .msg_hdr = { .msg_name = &group, .msg_namelen = sizeof group, .msg_iov = &out[0], .msg_iovlen = 1 } },
                { .msg_hdr = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &out[1], .msg_iovlen = 1 } },
            };
            if (sendmmsg(fd, datagrams, 2, 0) != 2)
                child_fail("sendmmsg");
        }
    }
}

/*
 * Forks the echo, on NETLINK_USERSOCK, or the family floor, on
 * NETLINK_GENERIC (with its files in files_dir unless that is NULL);
 * returns its port.
 */
static uint32_t start_child(int rcvbuf, int as_family, const char *files_dir)
{
    int protocol = as_family ? NETLINK_GENERIC : NETLINK_USERSOCK;
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
        struct files files;
        if (files_dir)
            prepare_files(&files, files_dir);
        uint32_t port = 0;
        int fd = open_socket(protocol, rcvbuf, &port);
        /* Port 0 tells the parent the socket could not be set up. */
        if (write(ready[1], &port, sizeof port) != sizeof port || fd < 0)
            _exit(1);
        close(ready[1]);
        if (as_family)
            family(fd, port, files_dir ? &files : NULL);
        echo(fd);
    }
    close(ready[1]);
    uint32_t port = 0;
    ssize_t n = read(ready[0], &port, sizeof port);
    close(ready[0]);
    if (n != sizeof port || port == 0)
        fail("%s process could not set up", as_family ? "family floor" : "echo");
    return port;
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
static char sync_json[256], pipelined_json[256], pipelined_batch_json[256], family_json[128], family_files_json[128];

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
static void run_pipelined(struct bench *b, long count, long window, long warmup, char *json, size_t json_size, const char *name)
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
    snprintf(json, json_size, "\"%s\":{\"count\":%ld,\"window\":%ld,\"per_op_ns\":%.1f}",
             name, count, window, (double)elapsed / (double)count);
    free(acked);
}

/* Pairs of round trips, timed together: the first of each makes a subdevice's files, the second removes them. */
static void run_family(struct bench *b, long pairs, long warmup, char *json, size_t json_size, const char *name)
{
    uint64_t *samples = malloc((size_t)pairs * sizeof *samples);
    if (!samples)
        fail_errno("malloc");
    for (long i = 0; i < warmup / 2; i++) {
        round_trip(b);
        round_trip(b);
    }
    for (long i = 0; i < pairs; i++) {
        uint64_t t0 = now_ns();
        round_trip(b);
        round_trip(b);
        samples[i] = now_ns() - t0;
    }
    qsort(samples, (size_t)pairs, sizeof *samples, compare_u64);
    long p99 = (pairs * 99 + 99) / 100 - 1;
    snprintf(json, json_size, "\"%s\":{\"pairs\":%ld,\"median_ns\":%llu,\"p99_ns\":%llu}", name, pairs,
             (unsigned long long)samples[pairs / 2], (unsigned long long)samples[p99]);
    free(samples);
}

/* A socket to `peer` that gives up on a lost reply, with the request it sends. */
static struct bench open_bench(int protocol, int rcvbuf, uint32_t peer)
{
    struct bench b = { .peer = { .nl_family = AF_NETLINK, .nl_pid = peer } };
    uint32_t own_port;
    b.fd = open_socket(protocol, rcvbuf, &own_port);
    if (b.fd < 0)
        fail_errno("netlink socket");
    struct timeval timeout = { .tv_sec = REPLY_TIMEOUT_S };
    if (setsockopt(b.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
        setsockopt(b.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) < 0)
        fail_errno("setsockopt timeouts");
    build_request(b.request, own_port);
    return b;
}

/* The family floor, with its files in a new directory under `files_parent` when that is given. */
static void measure_family(int rcvbuf, long pairs, long warmup, const char *files_parent)
{
    if (files_parent) {
        if (snprintf(files_dir, sizeof files_dir, "%s/netlink-floor.XXXXXX", files_parent) >= (int)sizeof files_dir)
            fail("--files %s: path too long", files_parent);
        if (!mkdtemp(files_dir)) {
            files_dir[0] = 0;
            fail("--files %s: %s", files_parent, strerror(errno));
        }
    }
    uint32_t port = start_child(rcvbuf, 1, files_parent ? files_dir : NULL);
    struct bench b = open_bench(NETLINK_GENERIC, rcvbuf, port);
    if (files_parent)
        run_family(&b, pairs, warmup, family_files_json, sizeof family_files_json, "family_files");
    else
        run_family(&b, pairs, warmup, family_json, sizeof family_json, "family");
    stop_child();
    close(b.fd);
    if (files_dir[0]) {
        remove_files(files_dir);
        files_dir[0] = 0;
    }
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
    long sync = 20000, pipelined = 200000, window = 64, warmup = 2000, family_pairs = 0;
    const char *files = NULL;
    int batch = 0;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--batch") == 0) {
            batch = 1;
            continue;
        }
        if (strcmp(argv[i], "--sync") == 0)
            sync = parse_count(argv[i], value, 0, MAX_COUNT);
        else if (strcmp(argv[i], "--pipelined") == 0)
            pipelined = parse_count(argv[i], value, 0, MAX_COUNT);
        else if (strcmp(argv[i], "--window") == 0)
            window = parse_count(argv[i], value, 1, MAX_WINDOW);
        else if (strcmp(argv[i], "--warmup") == 0)
            warmup = parse_count(argv[i], value, 0, MAX_COUNT);
        else if (strcmp(argv[i], "--family") == 0)
            family_pairs = parse_count(argv[i], value, 0, MAX_COUNT);
        else if (strcmp(argv[i], "--files") == 0 && value)
            files = value;
        else {
            fprintf(stderr, "usage: netlink-floor [--sync N] [--pipelined N] [--batch] [--window W] [--warmup N] [--family N] [--files DIR]\n");
            return 2;
        }
        i++;
    }
    if (files && family_pairs == 0) {
        fprintf(stderr, "netlink-floor: --files needs --family N\n");
        return 2;
    }

    /* 4 MiB, or more for a window that would not fit in it. */
    int rcvbuf = window * 4096 > (4 << 20) ? (int)window * 4096 : 4 << 20;
    struct bench b = open_bench(NETLINK_USERSOCK, rcvbuf, start_child(rcvbuf, 0, NULL));
    if (sync > 0)
        run_sync(&b, sync, warmup);
    if (pipelined > 0)
        run_pipelined(&b, pipelined, window, warmup, pipelined_json, sizeof pipelined_json, "pipelined");
    if (pipelined > 0 && batch) {
        struct sched_param none = { .sched_priority = 0 };
        if (sched_setscheduler(0, SCHED_BATCH, &none) != 0)
            fail_errno("sched_setscheduler");
        run_pipelined(&b, pipelined, window, warmup, pipelined_batch_json, sizeof pipelined_batch_json, "pipelined_batch");
        if (sched_setscheduler(0, SCHED_OTHER, &none) != 0)
            fail_errno("sched_setscheduler");
    }
    stop_child();
    close(b.fd);
    if (family_pairs > 0) {
        measure_family(rcvbuf, family_pairs, warmup, NULL);
        if (files)
            measure_family(rcvbuf, family_pairs, warmup, files);
    }

    /* The parts measured, comma-separated. */
    const char *parts[] = { sync_json, pipelined_json, pipelined_batch_json, family_json, family_files_json };
    const char *separator = "";
    putchar('{');
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        if (parts[i][0]) {
            printf("%s%s", separator, parts[i]);
            separator = ",";
        }
    }
    printf("}\n");
    return fflush(stdout) == 0 ? 0 : 1;
}
