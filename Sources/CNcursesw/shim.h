// SwiftPM drops ncursesw's pkg-config defines, and without them the wide
// character API is hidden: ask for it explicitly.
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncursesw/curses.h>
