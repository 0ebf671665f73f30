// libnetfilter_conntrack from Debian's libnetfilter-conntrack-dev. Its header
// assumes the fixed-width types and sockaddr types are already declared.
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
