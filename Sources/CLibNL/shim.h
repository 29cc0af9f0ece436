#ifndef SUBDEV_CLIBNL_SHIM_H
#define SUBDEV_CLIBNL_SHIM_H

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <sys/socket.h>
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

/* struct ucred needs _GNU_SOURCE, which must not differ between this module
 * and Swift's Glibc; libnl hands the credentials over as a pointer to it, so
 * read them through a struct of the same layout (pid, uid, gid). */
struct subdev_ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

#ifndef SCM_CREDENTIALS
#define SCM_CREDENTIALS 0x02
#endif

/* One recvmsg on a netlink socket into the caller's buffer: nl_recv cannot
 * take MSG_DONTWAIT and allocates a buffer for every datagram. Returns what
 * recvmsg returns (with MSG_TRUNC in flags, the datagram's whole length);
 * *has_creds is 1 when the datagram carried SCM_CREDENTIALS. */
static inline long subdev_netlink_recvmsg(int fd, void *buf, size_t len, int flags,
                                          struct sockaddr_nl *from,
                                          struct subdev_ucred *creds, int *has_creds)
{
    /* Room for one SCM_CREDENTIALS (pid, uid, gid: three 32-bit words). */
    union {
        char bytes[CMSG_SPACE(sizeof(struct subdev_ucred))];
        struct cmsghdr align;
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = {
        .msg_name = from, .msg_namelen = sizeof(*from),
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.bytes, .msg_controllen = sizeof(control.bytes),
    };
    long n = recvmsg(fd, &msg, flags);
    *has_creds = 0;
    if (n < 0)
        return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct subdev_ucred))) {
            memcpy(creds, CMSG_DATA(c), sizeof(*creds));
            *has_creds = 1;
        }
    }
    return n;
}

#endif
