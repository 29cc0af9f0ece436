/*
 * A plain libnl client of the subdev family: it knows nothing of this
 * project but the family's name, its numbers from the uAPI header, and the
 * model's port. Used by the integration tests to show that unmodified libnl
 * code reaches the model, and what an unprivileged process may do.
 *
 * usage: plain-libnl-client PORT generic|usersock
 * prints one "key=value" line per step and exits 0 when every step ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/subdev.h>

static int last_error;

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
    (void)who;
    (void)arg;
    last_error = -err->error;
    return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
    (void)msg;
    (*(int *)arg)++;
    return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
    (void)msg;
    (void)arg;
    last_error = 0;
    return NL_STOP;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    unsigned int port = strtoul(argv[1], NULL, 0);
    int protocol = strcmp(argv[2], "usersock") == 0 ? NETLINK_USERSOCK : NETLINK_GENERIC;

    struct nl_sock *sk = nl_socket_alloc();
    if (!sk || nl_connect(sk, protocol) < 0)
        return 3;
    nl_socket_set_peer_port(sk, port);

    int family = genl_ctrl_resolve(sk, SUBDEV_FAMILY_NAME);
    printf("family=%d\n", family);
    int config = genl_ctrl_resolve_grp(sk, SUBDEV_FAMILY_NAME, SUBDEV_MCGRP_CONFIG);
    printf("config=%d\n", config);
    if (family < 0 || config < 0)
        return 4;

    /* dev-new: a dedicated WQ on the default accelerator. */
    struct nl_msg *msg = nlmsg_alloc();
    genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, SUBDEV_CMD_DEV_NEW, SUBDEV_VERSION);
    nla_put_string(msg, SUBDEV_A_DEV_BUS_NAME, "pci");
    nla_put_string(msg, SUBDEV_A_DEV_DEV_NAME, "0000:6a:01.0");
    nla_put_string(msg, SUBDEV_A_DEV_TYPE, "dwq");
    struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
    int replies = 0;
    nl_cb_err(cb, NL_CB_CUSTOM, on_error, NULL);
    nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, NULL);
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &replies);
    last_error = -1;
    if (nl_send_auto(sk, msg) < 0)
        return 5;
    while (last_error == -1 && nl_recvmsgs(sk, cb) >= 0)
        ;
    printf("dev-new errno=%d replies=%d\n", last_error, replies);
    nlmsg_free(msg);

    /* dev-get dump. */
    msg = nlmsg_alloc();
    genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP, SUBDEV_CMD_DEV_GET, SUBDEV_VERSION);
    int count = 0;
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &count);
    if (nl_send_auto(sk, msg) < 0)
        return 6;
    int rc = nl_recvmsgs(sk, cb);
    printf("dev-dump rc=%d count=%d\n", rc, count);
    nlmsg_free(msg);

    /* Joining config needs no privilege on generic netlink. */
    struct nl_sock *listener = nl_socket_alloc();
    if (!listener || genl_connect(listener) < 0)
        return 7;
    printf("join-config=%d\n", nl_socket_add_membership(listener, config));

    nl_cb_put(cb);
    nl_socket_free(listener);
    nl_socket_free(sk);
    return 0;
}
