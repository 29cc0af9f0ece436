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

/* struct ucred needs _GNU_SOURCE, which must not differ between this module
 * and Swift's Glibc; libnl hands the credentials over as a pointer to it, so
 * read them through a struct of the same layout (pid, uid, gid). */
struct subdev_ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

/* nl_recv with the credentials as a subdev_ucred. */
static inline int subdev_nl_recv(struct nl_sock *sk, struct sockaddr_nl *from,
                                 unsigned char **buf, struct subdev_ucred **creds)
{
    return nl_recv(sk, from, buf, (struct ucred **)creds);
}

#endif
