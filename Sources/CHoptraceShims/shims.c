// setns and CLONE_NEWNET live behind _GNU_SOURCE, which must precede every
// system header; a header cannot add it to the already-built Glibc module.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <errno.h>
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
