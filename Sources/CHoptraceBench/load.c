// The benchmark's load generator: sendmmsg sits behind _GNU_SOURCE, which must precede
// every system header. Its own target, so none of it links into the shipped binary.
#define _GNU_SOURCE
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "CHoptraceBench.h"

int CHoptraceBench_send_udp_burst(int fd, uint32_t dst_be, uint16_t port_first, uint32_t port_span,
                                 uint32_t *port_index, const void *payload, size_t len, unsigned count) {
    enum { batch = 64 };
    struct sockaddr_in to[batch];
    struct iovec iov[batch];
    struct mmsghdr msgs[batch];
    int sent = 0;
    if (port_span == 0) port_span = 1;
    while (count > 0) {
        unsigned n = count < batch ? count : batch;
        memset(msgs, 0, sizeof(struct mmsghdr) * n);
        for (unsigned i = 0; i < n; i++) {
            memset(&to[i], 0, sizeof to[i]);
            to[i].sin_family = AF_INET;
            to[i].sin_addr.s_addr = dst_be;
            to[i].sin_port = htons((uint16_t)(port_first + (*port_index)++ % port_span));
            iov[i].iov_base = (void *)payload;
            iov[i].iov_len = len;
            msgs[i].msg_hdr.msg_name = &to[i];
            msgs[i].msg_hdr.msg_namelen = sizeof to[i];
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg(fd, msgs, n, 0);
        if (r < 0) return sent > 0 ? sent : -1;
        sent += r;
        count -= (unsigned)r;
        if ((unsigned)r < n) break;
    }
    return sent;
}
