// The terminal's emergency exits, in C because signal handlers must touch only
// async-signal-safe state: bytes prepared in advance. Fatal signals write the saved
// termios back, write the escape bytes that leave curses mode, and re-raise with the
// default action (so a crash still dumps core / reports). The stop signals are stop.c's.
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "CHoptraceShims.h"

static volatile sig_atomic_t armed;
static struct termios saved_termios;
static int saved_fd = -1;
static char restore_bytes[512];
static size_t restore_len;

static void on_fatal(int sig) {
    if (armed) {
        armed = 0;
        if (saved_fd >= 0) tcsetattr(saved_fd, TCSANOW, &saved_termios);
        if (restore_len > 0) {
            ssize_t unused = write(STDOUT_FILENO, restore_bytes, restore_len);
            (void)unused;
        }
    }
    // SA_RESETHAND already restored the default action: raise it again.
    raise(sig);
}

int CHoptraceShims_terminal_save(int fd) {
    if (tcgetattr(fd, &saved_termios) != 0) return -1;
    saved_fd = fd;
    return 0;
}

int CHoptraceShims_terminal_arm(const char *bytes, size_t len) {
    static char alt_stack[64 * 1024];  // a stack overflow's SIGSEGV needs a stack to run on
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = alt_stack;
    ss.ss_size = sizeof alt_stack;
    sigaltstack(&ss, 0);

    if (len > sizeof restore_bytes) len = sizeof restore_bytes;
    memcpy(restore_bytes, bytes, len);
    restore_len = len;
    armed = 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        if (sigaction(fatal[i], &sa, 0) != 0) return -1;
    }
    return 0;
}

void CHoptraceShims_terminal_disarm(void) { armed = 0; }
