// SwiftPM drops ncursesw's pkg-config defines, and without them the wide
// character API is hidden: ask for it explicitly.
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// COLOR_PAIR and the A_* attributes are macros, which Swift does not import.
static inline int CNcursesw_COLOR_PAIR(int n) { return (int)COLOR_PAIR(n); }
static inline int CNcursesw_A_BOLD(void) { return (int)A_BOLD; }
static inline int CNcursesw_A_REVERSE(void) { return (int)A_REVERSE; }
static inline int CNcursesw_A_DIM(void) { return (int)A_DIM; }
// wattrset may be a macro depending on the build: one fixed function to call.
static inline int CNcursesw_wattrset(WINDOW *w, int attrs) { return wattrset(w, attrs); }
// BUTTON1_* are macro expressions built with NCURSES_MOUSE_MASK.
static inline mmask_t CNcursesw_BUTTON1_CLICKED(void) { return BUTTON1_CLICKED; }
static inline mmask_t CNcursesw_BUTTON1_PRESSED(void) { return BUTTON1_PRESSED; }
static inline mmask_t CNcursesw_BUTTON1_RELEASED(void) { return BUTTON1_RELEASED; }
// tigetstr returns (char *)-1 for a capability that is not a string: normalise to NULL.
static inline const char *CNcursesw_tigetstr(const char *cap) {
    char *s = tigetstr(cap);
    return (s == (char *)-1) ? 0 : s;
}
