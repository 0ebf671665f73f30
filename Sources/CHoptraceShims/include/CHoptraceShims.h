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

// pipe2(fds, O_CLOEXEC): a child started by another thread never inherits the other
// ends (pipe2 sits behind _GNU_SOURCE). Returns 0, or -1 with errno set.
int CHoptraceShims_pipe_cloexec(int fds[2]);

// unshare(CLONE_NEWNET) for the calling thread: a private, empty namespace
// used by doctor's probes so they never touch the machine's own namespace.
int CHoptraceShims_unshare_net(void);

// For the calling thread only: a private mount namespace (unshare CLONE_NEWNS, then / made
// rprivate) with tracefs mounted at `mountpoint`; returns an O_PATH descriptor of that mount,
// which outlives the thread. -1 with errno set and `step` saying how far it got (0 unshare,
// 1 make-rprivate, 2 mount, 3 open). The machine's own mounts are never touched.
int CHoptraceShims_private_tracefs(const char *mountpoint, int *step);

// openat(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC): O_PATH sits behind _GNU_SOURCE.
int CHoptraceShims_open_path_dir(int dirfd, const char *path);

#include <stddef.h>
#include <stdint.h>

// The stop signals (stop.c), one path for the capture loop and the live view: SIGINT,
// SIGTERM and SIGHUP (not when ignored at start: nohup) set a flag the loop reads
// (_stop_signal: the signal number, or 0); SIGCONT sets another (_take_continued reads and
// clears it). Install before initscr so ncurses leaves SIGINT/SIGTERM alone.
int CHoptraceShims_install_stop_handlers(void);
int CHoptraceShims_stop_signal(void);
int CHoptraceShims_take_continued(void);
// Whether `sig` is ignored (SIG_IGN) right now. A shim because Swift cannot compare C
// function pointers such as SIG_IGN, and sigaction's handler sits in a glibc-named union.
int CHoptraceShims_signal_ignored(int sig);

// The TUI's terminal safety net (terminal.c).
// tcgetattr(fd) before curses changes the modes.
int CHoptraceShims_terminal_save(int fd);
// On SIGSEGV/SIGBUS/SIGILL/SIGTRAP/SIGABRT/SIGFPE: tcsetattr the saved modes, write
// `bytes` (rmcup, cnorm, sgr0, mouse off) to stdout, re-raise with the default action.
int CHoptraceShims_terminal_arm(const char *bytes, size_t len);
// After a normal restore: the fatal handlers no longer touch the terminal.
void CHoptraceShims_terminal_disarm(void);

// Capabilities of the calling thread (privileges.c): capget/capset as 64-bit masks
// (bit N = capability N), PR_CAPBSET_DROP, the ambient set, no_new_privs. 0 or -1 with errno.
int CHoptraceShims_caps_get(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable);
int CHoptraceShims_caps_set(uint64_t effective, uint64_t permitted, uint64_t inheritable);
int CHoptraceShims_capbset_drop(int cap);
int CHoptraceShims_ambient_raise(int cap);
int CHoptraceShims_ambient_clear_all(void);
int CHoptraceShims_set_no_new_privs(void);

#endif
