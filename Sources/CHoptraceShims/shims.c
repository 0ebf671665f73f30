// setns and CLONE_NEWNET live behind _GNU_SOURCE, which must precede every
// system header; a header cannot add it to the already-built Glibc module.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "CHoptraceShims.h"

int CHoptraceShims_open_netns(const char *path) {
    return open(path, O_RDONLY | O_CLOEXEC);
}

int CHoptraceShims_setns_fd(int fd) {
    return setns(fd, CLONE_NEWNET);
}

int CHoptraceShims_setns_net(const char *path) {
    int fd = CHoptraceShims_open_netns(path);
    if (fd < 0) return -1;
    int rc = setns(fd, CLONE_NEWNET);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int CHoptraceShims_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int CHoptraceShims_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int CHoptraceShims_unshare_net(void) {
    return unshare(CLONE_NEWNET);
}

int CHoptraceShims_send_udp_burst(int fd, uint32_t dst_be, uint16_t port_first, uint32_t port_span,
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
