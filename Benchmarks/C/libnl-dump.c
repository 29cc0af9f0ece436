/*
 * The reference for a dump-and-decode of every subdevice: plain libnl, one
 * SUBDEV_CMD_DEV_GET dump, each reply validated against the dev attribute
 * set's policy and decoded into a C struct (strings copied, integers read,
 * nests walked), as a typed client decodes into its values. Only running
 * totals are kept, so a million subdevices cost no memory.
 *
 * usage: libnl-dump PORT [usersock|generic]
 *   PORT       the model's netlink port id (decimal or 0x hex; 0 is a kernel)
 *   transport  netlink protocol to reach it on (default generic)
 *
 * The time is CLOCK_MONOTONIC from just before the request is sent to just
 * after the last reply is processed; resolving the family is not timed.
 *
 * Prints one JSON line on stdout:
 *   {"count":N,"elapsed_ns":T,"cpu_ns":C,"index_sum":S}
 * count is the number of subdevices, cpu_ns this process's CPU time over the
 * same span (CLOCK_PROCESS_CPUTIME_ID: user and system), index_sum the sum
 * of their indices (a checksum against another client's dump). Exits 1 with a message on stderr
 * when the family cannot be resolved, the dump fails or a reply does not
 * decode; 2 on bad usage.
 *
 * build: gcc -std=gnu11 -O2 -Wall -Wextra -Werror -I/usr/include/libnl3 \
 *          -I/work/main/include/uapi -o libnl-dump libnl-dump.c -lnl-genl-3 -lnl-3
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/subdev.h>

/* Big enough that the model never waits on us: it drops replies to a full socket after 0.25 s. */
#define RECEIVE_BUFFER (32 << 20)
/* A lost NLMSG_DONE must end the run, not hang it; the model builds the whole dump before sending. */
#define RECEIVE_TIMEOUT_S 120
/* More than any type declares; a subdevice with more is decoded but not stored. */
#define MAX_PARAMS 32

/* libnl's string maxlen counts the NUL; the uAPI lengths do not. */
#define NAME_STRING { .type = NLA_STRING, .maxlen = SUBDEV_NAME_LEN + 1 }
#define VALUE_STRING { .type = NLA_STRING, .maxlen = SUBDEV_STRING_VALUE_LEN + 1 }

static const struct nla_policy dev_policy[SUBDEV_A_DEV_MAX + 1] = {
    [SUBDEV_A_DEV_BUS_NAME] = NAME_STRING,
    [SUBDEV_A_DEV_DEV_NAME] = NAME_STRING,
    [SUBDEV_A_DEV_INDEX] = { .type = NLA_U32 },
    [SUBDEV_A_DEV_NAME] = { .type = NLA_STRING, .minlen = 2, .maxlen = SUBDEV_NAME_LEN + 1 },
    [SUBDEV_A_DEV_TYPE] = NAME_STRING,
    [SUBDEV_A_DEV_ADMIN_STATE] = { .type = NLA_U8 },
    [SUBDEV_A_DEV_OPER_STATE] = { .type = NLA_U8 },
    [SUBDEV_A_DEV_PARAM] = { .type = NLA_NESTED },
    [SUBDEV_A_DEV_VFIO] = { .type = NLA_NESTED },
    [SUBDEV_A_DEV_DETAIL] = { .type = NLA_NESTED },
    [SUBDEV_A_DEV_NODE_UID] = { .type = NLA_U32 },
    [SUBDEV_A_DEV_NODE_GID] = { .type = NLA_U32 },
    [SUBDEV_A_DEV_NODE_MODE] = { .type = NLA_U16 },
    [SUBDEV_A_DEV_FORCE] = { .type = NLA_FLAG },
    [SUBDEV_A_DEV_DEADLINE_MS] = { .type = NLA_U32 },
    [SUBDEV_A_DEV_OWNED] = { .type = NLA_FLAG },
    [SUBDEV_A_DEV_OWNER_PID] = { .type = NLA_U32 },
    [SUBDEV_A_DEV_HOLDER] = { .type = NLA_NESTED },
    [SUBDEV_A_DEV_REASON] = VALUE_STRING,
    [SUBDEV_A_DEV_AER_STATS] = { .type = NLA_NESTED },
};

static const struct nla_policy param_policy[SUBDEV_A_PARAM_MAX + 1] = {
    [SUBDEV_A_PARAM_NAME] = NAME_STRING,
    [SUBDEV_A_PARAM_KIND] = { .type = NLA_U8 },
    [SUBDEV_A_PARAM_VALUE_INT] = { .type = NLA_U64 },
    [SUBDEV_A_PARAM_VALUE_STR] = VALUE_STRING,
    [SUBDEV_A_PARAM_MIN_INT] = { .type = NLA_U64 },
    [SUBDEV_A_PARAM_MAX_INT] = { .type = NLA_U64 },
    [SUBDEV_A_PARAM_DEFAULT_INT] = { .type = NLA_U64 },
    [SUBDEV_A_PARAM_DEFAULT_STR] = VALUE_STRING,
    [SUBDEV_A_PARAM_CHOICE] = NAME_STRING,
    [SUBDEV_A_PARAM_MUTABLE] = { .type = NLA_FLAG },
    [SUBDEV_A_PARAM_DOC] = VALUE_STRING,
    [SUBDEV_A_PARAM_OPTIONAL] = { .type = NLA_FLAG },
};

static const struct nla_policy vfio_policy[SUBDEV_A_VFIO_MAX + 1] = {
    [SUBDEV_A_VFIO_INDEX] = { .type = NLA_U32 },
    [SUBDEV_A_VFIO_DEV_NODE] = VALUE_STRING,
    [SUBDEV_A_VFIO_SYSFS_PATH] = VALUE_STRING,
    [SUBDEV_A_VFIO_IOMMU_GROUP] = { .type = NLA_U32 },
    [SUBDEV_A_VFIO_PASID] = { .type = NLA_U32 },
    [SUBDEV_A_VFIO_REGISTRATION] = { .type = NLA_U8 },
    [SUBDEV_A_VFIO_RESERVED_IOVA] = { .type = NLA_NESTED },
};

static const struct nla_policy iova_policy[SUBDEV_A_IOVA_RANGE_MAX + 1] = {
    [SUBDEV_A_IOVA_RANGE_START] = { .type = NLA_U64 },
    [SUBDEV_A_IOVA_RANGE_END] = { .type = NLA_U64 },
    [SUBDEV_A_IOVA_RANGE_KIND] = NAME_STRING,
};

static const struct nla_policy holder_policy[SUBDEV_A_HOLDER_MAX + 1] = {
    [SUBDEV_A_HOLDER_PID] = { .type = NLA_U32 },
    [SUBDEV_A_HOLDER_UID] = { .type = NLA_U32 },
    [SUBDEV_A_HOLDER_GID] = { .type = NLA_U32 },
};

static const struct nla_policy aer_policy[SUBDEV_A_AER_STATS_MAX + 1] = {
    [SUBDEV_A_AER_STATS_CORRECTABLE] = { .type = NLA_U64 },
    [SUBDEV_A_AER_STATS_NON_FATAL] = { .type = NLA_U64 },
    [SUBDEV_A_AER_STATS_FATAL] = { .type = NLA_U64 },
    [SUBDEV_A_AER_STATS_RESETS] = { .type = NLA_U64 },
};

/* A parameter value, or a detail (a typed fact): the same attribute set. */
struct param {
    char name[SUBDEV_NAME_LEN + 1];
    int kind; /* -1 when absent */
    bool is_string;
    uint64_t value_int;
    char value_str[SUBDEV_STRING_VALUE_LEN + 1];
};

struct subdev {
    char bus_name[SUBDEV_NAME_LEN + 1];
    char dev_name[SUBDEV_NAME_LEN + 1];
    uint32_t index;
    bool has_name;
    char name[SUBDEV_NAME_LEN + 1];
    char type[SUBDEV_NAME_LEN + 1];
    int admin_state, oper_state; /* -1 when absent */
    unsigned n_params, n_details;
    struct param params[MAX_PARAMS], details[MAX_PARAMS];
    bool has_vfio;
    struct {
        uint32_t index, iommu_group, pasid;
        bool has_iommu_group, has_pasid;
        int registration;
        char dev_node[SUBDEV_STRING_VALUE_LEN + 1];
        char sysfs_path[SUBDEV_STRING_VALUE_LEN + 1];
        unsigned n_reserved_iova;
        uint64_t iova_span; /* sum of end - start, so the ranges are read */
    } vfio;
    bool has_node;
    uint32_t node_uid, node_gid;
    uint16_t node_mode;
    uint32_t owner_pid; /* 0 when absent */
    unsigned n_holders;
    uint32_t holder_pid_sum;
    bool has_reason;
    char reason[SUBDEV_STRING_VALUE_LEN + 1];
    bool has_aer;
    uint64_t aer[SUBDEV_A_AER_STATS_MAX + 1];
};

/*
 * Shared with the callbacks through libnl's void pointer, so the compiler
 * cannot drop the decoding as dead stores.
 */
struct dump {
    struct subdev dev;
    uint64_t count, index_sum;
    int error;          /* libnl error from decoding, 0 if none */
    int done_errno;     /* errno the model put in NLMSG_DONE, 0 if none */
    const char *failed; /* what failed to decode */
};

/* The policy guarantees a NUL within the length, and that it fits. */
static void copy_string(char *dst, size_t size, const struct nlattr *nla)
{
    size_t len = (size_t)nla_len(nla);
    if (len > size)
        len = size;
    memcpy(dst, nla_data(nla), len);
    dst[len - 1] = '\0';
}

static int decode_param(struct param *p, struct nlattr *nest)
{
    struct nlattr *tb[SUBDEV_A_PARAM_MAX + 1];
    int err = nla_parse_nested(tb, SUBDEV_A_PARAM_MAX, nest, param_policy);
    if (err < 0)
        return err;
    if (!tb[SUBDEV_A_PARAM_NAME] || (!tb[SUBDEV_A_PARAM_VALUE_INT] && !tb[SUBDEV_A_PARAM_VALUE_STR]))
        return -NLE_MISSING_ATTR;
    copy_string(p->name, sizeof p->name, tb[SUBDEV_A_PARAM_NAME]);
    p->kind = tb[SUBDEV_A_PARAM_KIND] ? nla_get_u8(tb[SUBDEV_A_PARAM_KIND]) : -1;
    p->is_string = !tb[SUBDEV_A_PARAM_VALUE_INT];
    if (p->is_string)
        copy_string(p->value_str, sizeof p->value_str, tb[SUBDEV_A_PARAM_VALUE_STR]);
    else
        p->value_int = nla_get_u64(tb[SUBDEV_A_PARAM_VALUE_INT]);
    return 0;
}

static int decode_vfio(struct subdev *d, struct nlattr *nest)
{
    struct nlattr *tb[SUBDEV_A_VFIO_MAX + 1];
    int err = nla_parse_nested(tb, SUBDEV_A_VFIO_MAX, nest, vfio_policy);
    if (err < 0)
        return err;
    if (!tb[SUBDEV_A_VFIO_INDEX])
        return -NLE_MISSING_ATTR;
    d->vfio.index = nla_get_u32(tb[SUBDEV_A_VFIO_INDEX]);
    d->vfio.dev_node[0] = d->vfio.sysfs_path[0] = '\0';
    if (tb[SUBDEV_A_VFIO_DEV_NODE])
        copy_string(d->vfio.dev_node, sizeof d->vfio.dev_node, tb[SUBDEV_A_VFIO_DEV_NODE]);
    if (tb[SUBDEV_A_VFIO_SYSFS_PATH])
        copy_string(d->vfio.sysfs_path, sizeof d->vfio.sysfs_path, tb[SUBDEV_A_VFIO_SYSFS_PATH]);
    if ((d->vfio.has_iommu_group = tb[SUBDEV_A_VFIO_IOMMU_GROUP] != NULL))
        d->vfio.iommu_group = nla_get_u32(tb[SUBDEV_A_VFIO_IOMMU_GROUP]);
    if ((d->vfio.has_pasid = tb[SUBDEV_A_VFIO_PASID] != NULL))
        d->vfio.pasid = nla_get_u32(tb[SUBDEV_A_VFIO_PASID]);
    d->vfio.registration = tb[SUBDEV_A_VFIO_REGISTRATION] ? nla_get_u8(tb[SUBDEV_A_VFIO_REGISTRATION]) : -1;

    /* reserved-iova repeats, so the parsed table holds only the last: walk the nest. */
    d->vfio.n_reserved_iova = 0;
    d->vfio.iova_span = 0;
    struct nlattr *pos;
    int rem;
    nla_for_each_nested(pos, nest, rem) {
        if (nla_type(pos) != SUBDEV_A_VFIO_RESERVED_IOVA)
            continue;
        struct nlattr *rt[SUBDEV_A_IOVA_RANGE_MAX + 1];
        if ((err = nla_parse_nested(rt, SUBDEV_A_IOVA_RANGE_MAX, pos, iova_policy)) < 0)
            return err;
        if (!rt[SUBDEV_A_IOVA_RANGE_START] || !rt[SUBDEV_A_IOVA_RANGE_END])
            return -NLE_MISSING_ATTR;
        d->vfio.iova_span += nla_get_u64(rt[SUBDEV_A_IOVA_RANGE_END]) - nla_get_u64(rt[SUBDEV_A_IOVA_RANGE_START]);
        d->vfio.n_reserved_iova++;
    }
    return 0;
}

static int decode_holder(struct subdev *d, struct nlattr *nest)
{
    struct nlattr *tb[SUBDEV_A_HOLDER_MAX + 1];
    int err = nla_parse_nested(tb, SUBDEV_A_HOLDER_MAX, nest, holder_policy);
    if (err < 0)
        return err;
    if (!tb[SUBDEV_A_HOLDER_PID])
        return -NLE_MISSING_ATTR;
    d->holder_pid_sum += nla_get_u32(tb[SUBDEV_A_HOLDER_PID]);
    d->n_holders++;
    return 0;
}

static int decode_aer(struct subdev *d, struct nlattr *nest)
{
    struct nlattr *tb[SUBDEV_A_AER_STATS_MAX + 1];
    int err = nla_parse_nested(tb, SUBDEV_A_AER_STATS_MAX, nest, aer_policy);
    if (err < 0)
        return err;
    for (int i = 1; i <= SUBDEV_A_AER_STATS_MAX; i++)
        d->aer[i] = tb[i] ? nla_get_u64(tb[i]) : 0;
    return 0;
}

static int decode_dev(struct dump *st, struct nl_msg *msg)
{
    struct subdev *d = &st->dev;
    struct nlattr *tb[SUBDEV_A_DEV_MAX + 1];
    int err;

    st->failed = "dev attributes";
    if ((err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, SUBDEV_A_DEV_MAX, dev_policy)) < 0)
        return err;
    st->failed = "bus-name, dev-name, index or type";
    if (!tb[SUBDEV_A_DEV_BUS_NAME] || !tb[SUBDEV_A_DEV_DEV_NAME] || !tb[SUBDEV_A_DEV_INDEX] || !tb[SUBDEV_A_DEV_TYPE])
        return -NLE_MISSING_ATTR;
    copy_string(d->bus_name, sizeof d->bus_name, tb[SUBDEV_A_DEV_BUS_NAME]);
    copy_string(d->dev_name, sizeof d->dev_name, tb[SUBDEV_A_DEV_DEV_NAME]);
    d->index = nla_get_u32(tb[SUBDEV_A_DEV_INDEX]);
    if ((d->has_name = tb[SUBDEV_A_DEV_NAME] != NULL))
        copy_string(d->name, sizeof d->name, tb[SUBDEV_A_DEV_NAME]);
    copy_string(d->type, sizeof d->type, tb[SUBDEV_A_DEV_TYPE]);
    d->admin_state = tb[SUBDEV_A_DEV_ADMIN_STATE] ? nla_get_u8(tb[SUBDEV_A_DEV_ADMIN_STATE]) : -1;
    d->oper_state = tb[SUBDEV_A_DEV_OPER_STATE] ? nla_get_u8(tb[SUBDEV_A_DEV_OPER_STATE]) : -1;
    if ((d->has_node = tb[SUBDEV_A_DEV_NODE_UID] != NULL)) {
        d->node_uid = nla_get_u32(tb[SUBDEV_A_DEV_NODE_UID]);
        d->node_gid = tb[SUBDEV_A_DEV_NODE_GID] ? nla_get_u32(tb[SUBDEV_A_DEV_NODE_GID]) : 0;
        d->node_mode = tb[SUBDEV_A_DEV_NODE_MODE] ? nla_get_u16(tb[SUBDEV_A_DEV_NODE_MODE]) : 0;
    }
    d->owner_pid = tb[SUBDEV_A_DEV_OWNER_PID] ? nla_get_u32(tb[SUBDEV_A_DEV_OWNER_PID]) : 0;
    if ((d->has_reason = tb[SUBDEV_A_DEV_REASON] != NULL))
        copy_string(d->reason, sizeof d->reason, tb[SUBDEV_A_DEV_REASON]);
    st->failed = "vfio";
    if ((d->has_vfio = tb[SUBDEV_A_DEV_VFIO] != NULL) && (err = decode_vfio(d, tb[SUBDEV_A_DEV_VFIO])) < 0)
        return err;
    st->failed = "aer-stats";
    if ((d->has_aer = tb[SUBDEV_A_DEV_AER_STATS] != NULL) && (err = decode_aer(d, tb[SUBDEV_A_DEV_AER_STATS])) < 0)
        return err;

    /* param, detail and holder repeat: walk the top-level attributes for them. */
    d->n_params = d->n_details = d->n_holders = 0;
    d->holder_pid_sum = 0;
    struct nlattr *pos;
    int rem;
    nla_for_each_attr(pos, genlmsg_attrdata(nlmsg_data(nlmsg_hdr(msg)), 0),
                      genlmsg_attrlen(nlmsg_data(nlmsg_hdr(msg)), 0), rem) {
        struct param scratch;
        switch (nla_type(pos)) {
        case SUBDEV_A_DEV_PARAM:
            st->failed = "param";
            if ((err = decode_param(d->n_params < MAX_PARAMS ? &d->params[d->n_params] : &scratch, pos)) < 0)
                return err;
            d->n_params++;
            break;
        case SUBDEV_A_DEV_DETAIL:
            st->failed = "detail";
            if ((err = decode_param(d->n_details < MAX_PARAMS ? &d->details[d->n_details] : &scratch, pos)) < 0)
                return err;
            d->n_details++;
            break;
        case SUBDEV_A_DEV_HOLDER:
            st->failed = "holder";
            if ((err = decode_holder(d, pos)) < 0)
                return err;
            break;
        }
    }
    st->failed = NULL;
    return 0;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
    struct dump *st = arg;
    int err = decode_dev(st, msg);
    if (err < 0) {
        st->error = err;
        return NL_STOP;
    }
    st->count++;
    st->index_sum += st->dev.index;
    return NL_OK;
}

/* libnl ignores the errno a dump that failed midway leaves in NLMSG_DONE. */
static int on_finish(struct nl_msg *msg, void *arg)
{
    struct dump *st = arg;
    struct nlmsghdr *nlh = nlmsg_hdr(msg);
    int error;
    if (nlmsg_datalen(nlh) >= (int)sizeof error) {
        memcpy(&error, nlmsg_data(nlh), sizeof error);
        if (error < 0)
            st->done_errno = -error;
    }
    return NL_STOP;
}

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what, int nlerr)
{
    fprintf(stderr, "libnl-dump: %s: %s\n", what, nl_geterror(nlerr));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "usersock") != 0 && strcmp(argv[2], "generic") != 0)) {
        fprintf(stderr, "usage: libnl-dump PORT [usersock|generic]\n");
        return 2;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(argv[1], &end, 0);
    if (errno || *end || end == argv[1] || port > UINT32_MAX) {
        fprintf(stderr, "libnl-dump: bad port '%s'\n", argv[1]);
        return 2;
    }
    int protocol = argc == 3 && strcmp(argv[2], "usersock") == 0 ? NETLINK_USERSOCK : NETLINK_GENERIC;

    struct nl_sock *sk = nl_socket_alloc();
    if (!sk) {
        fprintf(stderr, "libnl-dump: out of memory\n");
        return 1;
    }
    int err = nl_connect(sk, protocol);
    if (err < 0)
        return fail("connect", err);
    nl_socket_set_peer_port(sk, (uint32_t)port);

    int family = genl_ctrl_resolve(sk, SUBDEV_FAMILY_NAME);
    if (family < 0) {
        /* libnl reports a port nobody bound (ECONNREFUSED) as "Object not found". */
        fprintf(stderr, "libnl-dump: cannot resolve family %s at port %lu over %s: %s (is the model serving that port?)\n",
                SUBDEV_FAMILY_NAME, port, protocol == NETLINK_USERSOCK ? "usersock" : "generic", nl_geterror(family));
        return 1;
    }

    /*
     * A deep receive queue, so the model's dump datagrams are never dropped
     * (FORCE goes past rmem_max when privileged), and peeking so each 32 KiB
     * datagram is read whole rather than truncated to libnl's default buffer.
     */
    if ((err = nl_socket_set_buffer_size(sk, RECEIVE_BUFFER, 0)) < 0)
        return fail("receive buffer", err);
    int fd = nl_socket_get_fd(sk), rcvbuf = RECEIVE_BUFFER;
    socklen_t optlen = sizeof rcvbuf;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen) == 0 && rcvbuf / 2 < RECEIVE_BUFFER)
        fprintf(stderr, "libnl-dump: warning: receive buffer is %d bytes, not %d; raise net.core.rmem_max if the dump comes up short\n",
                rcvbuf / 2, RECEIVE_BUFFER);
    struct timeval timeout = { .tv_sec = RECEIVE_TIMEOUT_S };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    nl_socket_enable_msg_peek(sk);

    struct dump *st = calloc(1, sizeof *st);
    struct nl_msg *msg = nlmsg_alloc();
    if (!st || !msg) {
        fprintf(stderr, "libnl-dump: out of memory\n");
        return 1;
    }
    if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP, SUBDEV_CMD_DEV_GET, SUBDEV_FAMILY_VERSION)) {
        fprintf(stderr, "libnl-dump: cannot build the request\n");
        return 1;
    }
    nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_valid, st);
    nl_socket_modify_cb(sk, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, st);

    uint64_t t0 = clock_ns(CLOCK_MONOTONIC), cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if ((err = nl_send_auto(sk, msg)) < 0)
        return fail("send dev-get dump", err);
    err = nl_recvmsgs_default(sk);
    uint64_t elapsed = clock_ns(CLOCK_MONOTONIC) - t0, cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;

    if (st->error < 0) {
        fprintf(stderr, "libnl-dump: subdevice %llu does not decode (%s): %s\n",
                (unsigned long long)st->count, st->failed ? st->failed : "?", nl_geterror(st->error));
        return 1;
    }
    if (err < 0)
        return fail("dev-get dump", err);
    if (st->done_errno) {
        fprintf(stderr, "libnl-dump: dev-get dump failed after %llu subdevices: %s\n",
                (unsigned long long)st->count, strerror(st->done_errno));
        return 1;
    }
    printf("{\"count\":%llu,\"elapsed_ns\":%llu,\"cpu_ns\":%llu,\"index_sum\":%llu}\n", (unsigned long long)st->count,
           (unsigned long long)elapsed, (unsigned long long)cpu, (unsigned long long)st->index_sum);

    nlmsg_free(msg);
    nl_socket_free(sk);
    free(st);
    return 0;
}
