#define _GNU_SOURCE
#include "CSystemCalls.h"

#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <linux/netlink.h>
#include <sys/signalfd.h>
#include <signal.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int subdev_pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int subdev_peer_credentials(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int subdev_unix_listen(const char *path, int backlog)
{
    struct sockaddr_un addr;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path);
    int bound = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    if (bound < 0 && errno == EADDRINUSE) {
        /* A node left behind (by a model that crashed): take its place. */
        unlink(path);
        bound = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    }
    if (bound < 0 || listen(fd, backlog) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int subdev_unix_connect(const char *path)
{
    struct sockaddr_un addr;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int subdev_accept(int listener)
{
    return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int subdev_termination_fd(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int subdev_epoll_create(void)
{
    return epoll_create1(EPOLL_CLOEXEC);
}

int subdev_epoll_add(int epfd, int fd)
{
    struct epoll_event event = { .events = EPOLLIN, .data.fd = fd };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int subdev_epoll_remove(int epfd, int fd)
{
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

int subdev_epoll_wait(int epfd, int32_t *fds, int max, int timeout_ms)
{
    struct epoll_event events[256];
    if (max > 256)
        max = 256;
    int count = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < count; i++)
        fds[i] = events[i].data.fd;
    return count;
}

long subdev_raise_file_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    /* fs.nr_open caps what even a privileged process may ask for. */
    FILE *file = fopen("/proc/sys/fs/nr_open", "r");
    unsigned long ceiling = 0;
    if (file) {
        if (fscanf(file, "%lu", &ceiling) != 1)
            ceiling = 0;
        fclose(file);
    }
    if (ceiling > limit.rlim_max) {
        struct rlimit raised = { .rlim_cur = ceiling, .rlim_max = ceiling };
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            return (long)ceiling;
    }
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    return (long)limit.rlim_cur;
}

int subdev_notify_send(const char *path, const char *message)
{
    struct sockaddr_un addr;
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof(addr.sun_path)) {
        errno = EINVAL;
        return -1;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, length);
    if (path[0] == '@')
        addr.sun_path[0] = '\0';
    socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length + (path[0] == '@' ? 0 : 1));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ssize_t sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&addr, size);
    int saved = errno;
    close(fd);
    if (sent < 0) {
        errno = saved;
        return -1;
    }
    return 0;
}

int subdev_netlink_send_datagrams(int fd, const uint32_t *ports, const uint32_t *groups,
                                  const unsigned char *bytes, const size_t *lengths, unsigned count)
{
    enum { batch = 16 };
    struct sockaddr_nl to[batch];
    struct iovec iov[batch];
    struct mmsghdr messages[batch];
    unsigned sent = 0;
    size_t offset = 0;
    while (sent < count) {
        unsigned n = count - sent < batch ? count - sent : batch;
        size_t at = offset;
        for (unsigned i = 0; i < n; i++) {
            iov[i].iov_base = (void *)(bytes + at);
            iov[i].iov_len = lengths[sent + i];
            at += lengths[sent + i];
            memset(&to[i], 0, sizeof(to[i]));
            to[i].nl_family = AF_NETLINK;
            to[i].nl_pid = ports[sent + i];
            to[i].nl_groups = groups[sent + i];
            memset(&messages[i], 0, sizeof(messages[i]));
            messages[i].msg_hdr.msg_name = &to[i];
            messages[i].msg_hdr.msg_namelen = sizeof(to[i]);
            messages[i].msg_hdr.msg_iov = &iov[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }
        int rc = sendmmsg(fd, messages, n, 0);
        if (rc < 0)
            return sent > 0 ? (int)sent : -1;
        for (int i = 0; i < rc; i++)
            offset += lengths[sent + i];
        sent += (unsigned)rc;
        if ((unsigned)rc < n)
            break;
    }
    return (int)sent;
}

int subdev_thread_batch_begin(void)
{
    int policy = sched_getscheduler(0);
    if (policy < 0)
        return -1;
    if (policy != SCHED_OTHER)
        return 0;
    struct sched_param none = { .sched_priority = 0 };
    return sched_setscheduler(0, SCHED_BATCH, &none) == 0 ? 1 : -1;
}

int subdev_thread_batch_end(void)
{
    struct sched_param none = { .sched_priority = 0 };
    return sched_setscheduler(0, SCHED_OTHER, &none);
}

int subdev_heap_trim(void)
{
    return malloc_trim(0);
}
