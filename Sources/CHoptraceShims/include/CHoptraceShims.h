#ifndef CHOPTRACESHIMS_H
#define CHOPTRACESHIMS_H

// What Swift cannot call directly: functions behind _GNU_SOURCE (setns), and
// variadic ones (fcntl). Each shim keeps the C name it wraps.

// Moves the calling thread into the network namespace at `path`
// (/run/netns/NAME, /proc/PID/ns/net, ...). Returns 0, or -1 with errno set.
int CHoptraceShims_setns_net(const char *path);

// Opens `path` and returns the descriptor of a network namespace, or -1.
int CHoptraceShims_open_netns(const char *path);

// Moves the calling thread into the network namespace behind `fd`.
int CHoptraceShims_setns_fd(int fd);

// fcntl(fd, F_SETFL, flags | O_NONBLOCK): fcntl is variadic.
int CHoptraceShims_set_nonblocking(int fd);

// unshare(CLONE_NEWNET) for the calling thread: a private, empty namespace
// used by doctor's probes so they never touch the machine's own namespace.
int CHoptraceShims_unshare_net(void);

#endif
