// libpcap from Debian's libpcap-dev.
#include <pcap/pcap.h>
