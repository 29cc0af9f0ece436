/*
 * Creates a process-bound subdevice with plain libnl, then lives until its
 * standard input closes: when it exits, the model must destroy the
 * subdevice.
 *
 * usage: owned-creator PORT BUS DEV TYPE
 * prints "created" after the ACK, or "error=<errno>" and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/subdev.h>

static int failure;

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
    (void)who;
    (void)arg;
    failure = -err->error;
    return NL_STOP;
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk || genl_connect(sk) < 0)
        return 3;
    nl_socket_set_peer_port(sk, strtoul(argv[1], NULL, 0));
    int family = genl_ctrl_resolve(sk, SUBDEV_FAMILY_NAME);
    if (family < 0)
        return 4;
    struct nl_msg *msg = nlmsg_alloc();
    genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, SUBDEV_CMD_DEV_NEW, SUBDEV_VERSION);
    nla_put_string(msg, SUBDEV_A_DEV_BUS_NAME, argv[2]);
    nla_put_string(msg, SUBDEV_A_DEV_DEV_NAME, argv[3]);
    nla_put_string(msg, SUBDEV_A_DEV_TYPE, argv[4]);
    nla_put_flag(msg, SUBDEV_A_DEV_OWNED);
    struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
    nl_cb_err(cb, NL_CB_CUSTOM, on_error, NULL);
    if (nl_send_auto(sk, msg) < 0)
        return 5;
    nl_recvmsgs(sk, cb);
    if (!failure)
        nl_wait_for_ack(sk);
    if (failure) {
        printf("error=%d\n", failure);
        return 1;
    }
    printf("created\n");
    fflush(stdout);
    char byte;
    while (read(0, &byte, 1) > 0)
        ;
    return 0;
}
