/* A minimal UDP reflector, the baseline for perf/media_compare.py: binds N consecutive ports
 * on 127.0.0.1 and sends every datagram back to its source, one thread, recvmmsg + sendmmsg
 * over level-triggered epoll. It does no RTP work at all, so it is the floor of what any
 * media server pays for the system calls and the loopback path.
 *
 *   cc -O2 -o reflector perf/reflector.c && ./reflector 40000 2000
 *
 * SIGINT or SIGTERM stops it and prints the datagrams echoed on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define SLOT 2048

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_PORT COUNT\n", argv[0]);
        return 2;
    }
    int base = atoi(argv[1]), count = atoi(argv[2]);
    if (base <= 0 || count <= 0 || base + count > 65536) {
        fprintf(stderr, "reflector: bad port range\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int ep = epoll_create1(0);
    for (int i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int size = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(base + i),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            fprintf(stderr, "reflector: port %d: %s\n", base + i, strerror(errno));
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    static char bufs[BATCH][SLOT];
    static struct sockaddr_in addrs[BATCH];
    static struct iovec iovs[BATCH];
    static struct mmsghdr msgs[BATCH];
    struct epoll_event events[256];
    unsigned long long echoed = 0;
    while (!stop) {
        int n = epoll_wait(ep, events, 256, 200);
        for (int e = 0; e < n; e++) {
            int fd = events[e].data.fd;
            for (;;) {
                for (int i = 0; i < BATCH; i++) {
                    iovs[i] = (struct iovec){bufs[i], SLOT};
                    msgs[i].msg_hdr = (struct msghdr){.msg_name = &addrs[i], .msg_namelen = sizeof addrs[i],
                                                      .msg_iov = &iovs[i], .msg_iovlen = 1};
                }
                int got = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
                if (got <= 0)
                    break;
                for (int i = 0; i < got; i++)
                    iovs[i].iov_len = msgs[i].msg_len;
                int sent = 0;
                while (sent < got) {
                    int r = sendmmsg(fd, msgs + sent, got - sent, 0);
                    if (r <= 0)
                        break;
                    sent += r;
                }
                echoed += sent;
                if (got < BATCH)
                    break;
            }
        }
    }
    fprintf(stderr, "reflector: echoed %llu datagrams\n", echoed);
    return 0;
}
