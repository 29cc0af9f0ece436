#ifndef SUBDEV_CSYSTEMCALLS_H
#define SUBDEV_CSYSTEMCALLS_H

#include <stdint.h>
#include <sys/types.h>

/* System calls Swift cannot make directly: the variadic syscall(2), and
 * struct ucred, which needs _GNU_SOURCE. Each returns -1 and sets errno on
 * failure, like the call it wraps. */

/* pidfd_open(2): a file descriptor that becomes readable when pid exits. */
int subdev_pidfd_open(pid_t pid);

/* SO_PEERCRED of a connected Unix socket. */
int subdev_peer_credentials(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid);

/* sendmmsg(2) of count netlink datagrams, in one call: `bytes` holds them
 * back to back, lengths[i] is each one's size, and ports[i] and groups[i]
 * its destination's nl_pid and nl_groups (a port, or 0 and a group's bit).
 * Returns how many were sent (fewer when one failed after the first), or -1
 * and errno when the first failed. */
int subdev_netlink_send_datagrams(int fd, const uint32_t *ports, const uint32_t *groups,
                                  const unsigned char *bytes, const size_t *lengths, unsigned count);

/* A listening SOCK_SEQPACKET Unix socket bound at path, non-blocking and
 * close-on-exec; a socket file already at path is replaced. */
int subdev_unix_listen(const char *path, int backlog);

/* A blocking, close-on-exec SOCK_SEQPACKET connection to the Unix socket at
 * path: how a VMM opens a device node of the model. */
int subdev_unix_connect(const char *path);

/* accept4(2) of a connection, non-blocking and close-on-exec. */
int subdev_accept(int listener);

/* Blocks SIGTERM and SIGINT for the calling thread and returns a signalfd
 * that becomes readable when one arrives. */
int subdev_termination_fd(void);

/* epoll(7), behind three calls because struct epoll_event is packed on
 * x86-64, which Swift does not import. Each watches for EPOLLIN only and
 * carries the descriptor itself as the event's data; the set is close-on-exec. */
int subdev_epoll_create(void);
int subdev_epoll_add(int epfd, int fd);
int subdev_epoll_remove(int epfd, int fd);
/* Fills fds with up to max ready descriptors; returns how many, or -1. */
int subdev_epoll_wait(int epfd, int32_t *fds, int max, int timeout_ms);

/* Raises RLIMIT_NOFILE as far as the process may (to fs.nr_open with
 * CAP_SYS_RESOURCE, else to the hard limit); returns the new soft limit. */
long subdev_raise_file_limit(void);

/* Sends one datagram to the AF_UNIX socket at path, as sd_notify(3) does to
 * $NOTIFY_SOCKET: a leading '@' names an abstract socket. Returns 0, or -1
 * with errno set. */
int subdev_notify_send(const char *path, const char *message);

/* Moves the calling thread from SCHED_OTHER to SCHED_BATCH, whose wake-ups
 * do not preempt the task running on their CPU (sched(7)). Returns 1 when
 * it moved the thread, 0 when the thread runs under another policy and was
 * left so, -1 with errno when a call failed. */
int subdev_thread_batch_begin(void);

/* Moves the calling thread back from SCHED_BATCH to SCHED_OTHER, its nice
 * value kept; 0, or -1 with errno. */
int subdev_thread_batch_end(void);

/* Gives the heap's free pages back to the system (glibc's malloc_trim(0),
 * which <malloc.h> declares and the Glibc module does not): 1 when some
 * were given back, else 0. */
int subdev_heap_trim(void);

#endif
