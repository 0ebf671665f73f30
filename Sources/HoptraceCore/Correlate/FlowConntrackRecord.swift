extension Flow {
    /// A conntrack event as it arrived for this flow, packed: 72 bytes inline, where the event
    /// behind a reference took ~210 on the heap (its tuples' addresses are 17-byte enums and its
    /// ports optionals). At 100k flows with one event each that was a seventh of the memory.
    /// IPv4 tuples are held as words; IPv6 ones, and counters, behind one shared reference.
    public struct ConntrackRecord: Sendable {
        public var time: EventTime
        /// What does not fit inline (nil when nothing: an IPv4 event without counters).
        private let extras: Boxed<Extras>?
        /// Each IPv4 tuple's addresses (`unused` when `extras` holds the tuples).
        private let origAddresses: IPv4Pair
        private let replyAddresses: IPv4Pair
        public let status: ConntrackStatus
        private let timeoutValue: UInt32
        public let mark: UInt32
        public let id: UInt32
        /// sport, dport, ICMP id: orig's then reply's.
        private let ports: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16)
        public let zone: UInt16
        /// ICMP type and code: orig's then reply's.
        private let icmpFields: (UInt8, UInt8, UInt8, UInt8)
        public let kind: ConntrackEvent.Kind
        public let proto: UInt8
        private let tcpStateValue: UInt8
        private let bits: Bits

        private struct Extras: Sendable {
            /// Both tuples as the event had them, when an address is IPv6 (the words are then unused).
            var wide: (orig: ConntrackEvent.Tuple, reply: ConntrackEvent.Tuple)?
            var counters: ConntrackEvent.Counters?
        }

        private struct Bits: OptionSet, Sendable {
            let rawValue: UInt16
            static let timeout = Bits(rawValue: 1), tcpState = Bits(rawValue: 2)
            static let origSport = Bits(rawValue: 4), origDport = Bits(rawValue: 8), origICMP = Bits(rawValue: 16)
            static let replySport = Bits(rawValue: 32), replyDport = Bits(rawValue: 64), replyICMP = Bits(rawValue: 128)
        }

        public init(time: EventTime, event e: ConntrackEvent) {
            self.time = time
            kind = e.kind
            proto = e.proto
            status = e.status
            mark = e.mark
            zone = e.zone
            id = e.id
            timeoutValue = e.timeout ?? 0
            tcpStateValue = e.tcpState ?? 0
            var bits: Bits = []
            if e.timeout != nil { bits.insert(.timeout) }
            if e.tcpState != nil { bits.insert(.tcpState) }
            if e.orig.sport != nil { bits.insert(.origSport) }
            if e.orig.dport != nil { bits.insert(.origDport) }
            if e.orig.icmp != nil { bits.insert(.origICMP) }
            if e.reply.sport != nil { bits.insert(.replySport) }
            if e.reply.dport != nil { bits.insert(.replyDport) }
            if e.reply.icmp != nil { bits.insert(.replyICMP) }
            self.bits = bits
            ports = (e.orig.sport ?? 0, e.orig.dport ?? 0, e.orig.icmp?.id ?? 0, e.reply.sport ?? 0, e.reply.dport ?? 0, e.reply.icmp?.id ?? 0)
            icmpFields = (e.orig.icmp?.type ?? 0, e.orig.icmp?.code ?? 0, e.reply.icmp?.type ?? 0, e.reply.icmp?.code ?? 0)
            if let o = IPv4Pair(src: e.orig.src, dst: e.orig.dst), let r = IPv4Pair(src: e.reply.src, dst: e.reply.dst) {
                origAddresses = o
                replyAddresses = r
                extras = e.counters.map { Boxed(Extras(wide: nil, counters: $0)) }
            } else {
                origAddresses = .unused
                replyAddresses = .unused
                extras = Boxed(Extras(wide: (e.orig, e.reply), counters: e.counters))
            }
        }

        public var timeout: UInt32? { bits.contains(.timeout) ? timeoutValue : nil }
        public var tcpState: UInt8? { bits.contains(.tcpState) ? tcpStateValue : nil }
        public var counters: ConntrackEvent.Counters? { extras?.value.counters }

        public var orig: ConntrackEvent.Tuple {
            extras?.value.wide?.orig ?? Self.tuple(origAddresses, sport: bits.contains(.origSport) ? ports.0 : nil,
                                           dport: bits.contains(.origDport) ? ports.1 : nil,
                                           icmp: bits.contains(.origICMP) ? (icmpFields.0, icmpFields.1, ports.2) : nil)
        }

        public var reply: ConntrackEvent.Tuple {
            extras?.value.wide?.reply ?? Self.tuple(replyAddresses, sport: bits.contains(.replySport) ? ports.3 : nil,
                                            dport: bits.contains(.replyDport) ? ports.4 : nil,
                                            icmp: bits.contains(.replyICMP) ? (icmpFields.2, icmpFields.3, ports.5) : nil)
        }

        /// The event as it came.
        public var event: ConntrackEvent {
            var e = ConntrackEvent(kind: kind, proto: proto, orig: orig, reply: reply, status: status, tcpState: tcpState,
                                   timeout: timeout, mark: mark, zone: zone, id: id)
            e.counters = counters
            return e
        }

        private static func tuple(_ addresses: IPv4Pair, sport: UInt16?, dport: UInt16?,
                                  icmp: (type: UInt8, code: UInt8, id: UInt16)?) -> ConntrackEvent.Tuple {
            ConntrackEvent.Tuple(src: addresses.src, dst: addresses.dst, sport: sport, dport: dport, icmp: icmp)
        }
    }
}
