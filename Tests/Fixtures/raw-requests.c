/*
 * Sends netlink requests given as hex, one message per line on stdin, to a
 * netlink port, and prints how each was answered: a client with no library
 * between it and the socket, to run as another user.
 *
 * usage: raw-requests PORT generic|usersock
 * prints per line: "send-errno E" when the kernel refused the send;
 * "errno E <extack message>" for an error; "ok N" for success with N
 * replies; "timeout" when nothing ended the request within 5 s.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif

static int from_hex(const char *text, unsigned char *out, size_t room)
{
    size_t n = 0;
    while (text[0] && text[1] && text[0] != '\n') {
        unsigned int byte;
        if (n == room || sscanf(text, "%2x", &byte) != 1)
            return -1;
        out[n++] = (unsigned char)byte;
        text += 2;
    }
    return (int)n;
}

/* The extack message of an NLMSG_ERROR or NLMSG_DONE, or "". */
static void extack_message(const struct nlmsghdr *h, char *out, size_t room)
{
    const unsigned char *payload = NLMSG_DATA(h);
    size_t length = h->nlmsg_len - NLMSG_HDRLEN, at = 4;
    out[0] = 0;
    if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsghdr *echoed = (const struct nlmsghdr *)(payload + 4);
        at = (h->nlmsg_flags & NLM_F_CAPPED) ? 4 + NLMSG_HDRLEN : 4 + NLMSG_ALIGN(echoed->nlmsg_len);
    }
    while (at + 4 <= length) {
        const struct nlattr *a = (const struct nlattr *)(payload + at);
        if (a->nla_len < 4 || at + a->nla_len > length)
            return;
        if (a->nla_type == NLMSGERR_ATTR_MSG) {
            snprintf(out, room, "%.*s", (int)(a->nla_len - 4), (const char *)(a + 1));
            return;
        }
        at += NLA_ALIGN(a->nla_len);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    unsigned int port = (unsigned int)strtoul(argv[1], NULL, 0);
    int protocol = strcmp(argv[2], "generic") == 0 ? NETLINK_GENERIC : NETLINK_USERSOCK;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    struct sockaddr_nl local = { .nl_family = AF_NETLINK };
    struct timeval timeout = { .tv_sec = 5 };
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
        perror("bind");
        return 1;
    }
    static char line[1 << 17];
    static unsigned char request[1 << 16], answer[1 << 16];
    struct sockaddr_nl peer = { .nl_family = AF_NETLINK, .nl_pid = port };
    while (fgets(line, sizeof(line), stdin)) {
        int length = from_hex(line, request, sizeof(request));
        if (length < (int)NLMSG_HDRLEN) {
            printf("bad-input\n");
            continue;
        }
        unsigned int seq = ((struct nlmsghdr *)request)->nlmsg_seq;
        if (sendto(fd, request, length, 0, (struct sockaddr *)&peer, sizeof(peer)) < 0) {
            printf("send-errno %d\n", errno);
            fflush(stdout);
            continue;
        }
        int replies = 0, ended = 0;
        while (!ended) {
            ssize_t got = recv(fd, answer, sizeof(answer), 0);
            if (got < 0) {
                printf("timeout\n");
                break;
            }
            for (struct nlmsghdr *h = (struct nlmsghdr *)answer; NLMSG_OK(h, got); h = NLMSG_NEXT(h, got)) {
                if (h->nlmsg_seq != seq)
                    continue;
                if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) {
                    int error = *(int *)NLMSG_DATA(h);
                    char message[512];
                    extack_message(h, message, sizeof(message));
                    if (error)
                        printf("errno %d %s\n", -error, message);
                    else
                        printf("ok %d\n", replies);
                    ended = 1;
                    break;
                }
                replies++;
            }
        }
        fflush(stdout);
    }
    close(fd);
    return 0;
}
