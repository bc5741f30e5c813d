/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dgram-sink SOCKET OUTPUT: bind a unix datagram socket at SOCKET and append
 * every datagram it receives to OUTPUT, followed by a line "--". The service
 * tests use it as the systemd notification socket (NOTIFY_SOCKET) and as the
 * journal's native socket, to see exactly what balloond sends. Runs until
 * killed; exits by itself after an hour. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        static char buf[256 * 1024];
        FILE *out;
        int fd;

        if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
                fprintf(stderr, "usage: dgram-sink SOCKET OUTPUT\n");
                return 2;
        }
        strcpy(addr.sun_path, argv[1]);
        unlink(argv[1]);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                fprintf(stderr, "dgram-sink: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        out = fopen(argv[2], "a");
        if (!out) {
                fprintf(stderr, "dgram-sink: %s: %s\n", argv[2], strerror(errno));
                return 1;
        }
        alarm(3600);
        for (;;) {
                ssize_t k = recv(fd, buf, sizeof(buf), 0);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return 1;
                }
                fwrite(buf, 1, (size_t)k, out);
                fputs("\n--\n", out);
                fflush(out);
        }
}
