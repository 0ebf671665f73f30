#ifndef CHOPTRACEBENCH_H
#define CHOPTRACEBENCH_H

#include <stddef.h>
#include <stdint.h>

// Sends `count` UDP datagrams of `payload` to the IPv4 address `dst_be` (network
// order), the destination port cycling through [port_first, port_first + port_span)
// starting at *port_index, with sendmmsg in batches: the benchmark's load
// generator (sendmmsg sits behind _GNU_SOURCE). Returns how many were sent, or -1.
int CHoptraceBench_send_udp_burst(int fd, uint32_t dst_be, uint16_t port_first, uint32_t port_span,
                                 uint32_t *port_index, const void *payload, size_t len, unsigned count);

#endif
