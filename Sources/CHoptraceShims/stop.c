// The one way a stop signal reaches hoptrace, for the capture loop and the live view alike:
// SIGINT, SIGTERM and SIGHUP (a closed terminal; not when it was ignored at start, so nohup
// works) only set a flag the event loop reads, as a signal handler may touch nothing else.
// SIGCONT (back from Ctrl-Z) sets another, for the terminal to redraw.
#include <signal.h>
#include <string.h>
#include "CHoptraceShims.h"

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t continued;

static void on_stop(int sig) { stop_signal = sig; }
static void on_continue(int sig) { (void)sig; continued = 1; }

int CHoptraceShims_install_stop_handlers(void) {
    // A parent may have started us with these blocked (a thread pool's mask is inherited
    // across exec): then Ctrl-C and SIGTERM would never arrive.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCONT);
    pthread_sigmask(SIG_UNBLOCK, &set, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, 0) != 0 || sigaction(SIGTERM, &sa, 0) != 0) return -1;
    if (!CHoptraceShims_signal_ignored(SIGHUP) && sigaction(SIGHUP, &sa, 0) != 0) return -1;
    sa.sa_handler = on_continue;
    sa.sa_flags = SA_RESTART;
    return sigaction(SIGCONT, &sa, 0);
}

int CHoptraceShims_stop_signal(void) { return stop_signal; }

int CHoptraceShims_take_continued(void) {
    int c = continued;
    continued = 0;
    return c;
}

int CHoptraceShims_signal_ignored(int sig) {
    struct sigaction old;
    if (sigaction(sig, 0, &old) != 0) return 0;
    return old.sa_handler == SIG_IGN;
}
