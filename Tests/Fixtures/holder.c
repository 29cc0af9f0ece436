/*
 * Holds a subdevice the way a VMM holds a VFIO device: connects to its
 * device node and keeps the connection until killed.
 *
 * usage: holder NODE
 * prints "held" once connected, or "refused: <reason>" and exits 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
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
    for (;;)
        pause();
}
