/*
 * Holds a subdevice the way a VMM holds a VFIO device: connects to its
 * device node and keeps the connection until killed, until the model
 * closes it, or, with release-after N, until N events (remove requests)
 * have arrived on it.
 *
 * usage: holder NODE [release-after N]
 * prints "held" once connected (or "refused: <reason>" and exits 1), then
 * "message K" per event, and "released" or "closed" at the end.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 4)
        return 2;
    long release_after = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
    /* A parent may have spawned us with signals blocked; SIGTERM must end us. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        printf("refused: %s\n", strerror(errno));
        return 1;
    }
    printf("held\n");
    fflush(stdout);
    char buffer[65536];
    for (long count = 1;; count++) {
        ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) {
            printf("closed\n");
            return 0;
        }
        printf("message %ld\n", count);
        fflush(stdout);
        if (release_after > 0 && count >= release_after) {
            close(fd);
            printf("released\n");
            return 0;
        }
    }
}
