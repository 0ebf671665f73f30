// unshare, mount flags and O_PATH live behind _GNU_SOURCE, which must precede every system header.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>
#include "CHoptraceShims.h"

int CHoptraceShims_private_tracefs(const char *mountpoint, int *step) {
    *step = 0;
    if (unshare(CLONE_NEWNS) != 0) return -1;
    // Nothing done below may propagate back to the machine's mount namespace.
    *step = 1;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    *step = 2;
    if (mount("tracefs", mountpoint, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) return -1;
    *step = 3;
    return open(mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int CHoptraceShims_open_path_dir(int dirfd, const char *path) {
    return openat(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}
