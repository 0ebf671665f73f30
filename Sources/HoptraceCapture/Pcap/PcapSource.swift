import CHoptraceShims
import CPcap
import Glibc
import HoptraceCore

/// One live libpcap handle on one capture point. Buffered (TPACKET_V3) with a
/// short timeout rather than immediate mode: the display stays live at a
/// fraction of immediate mode's CPU cost. Closed in deinit.
public final class PcapSource: @unchecked Sendable {
    public struct Options: Sendable {
        public var snapLength: Int32 = 256
        public var bufferSize: Int32 = 32 << 20
        public var timeoutMs: Int32 = 50
        public var filter: String = ""
        public init() {}
    }

    public let point: CapturePoint
    let handle: OpaquePointer
    public let fd: Int32
    public let linkType: Int32
    public let snapLength: Int32
    /// The kernel hands over a block of packets when it is full or this old.
    public let timeoutMs: Int32
    /// The interface's own MAC, read in its namespace: tells in from out.
    public let ownMAC: [UInt8]

    /// Opens the handle inside the point's namespace (on a thread that entered it).
    public static func open(_ point: CapturePoint, options: Options) throws -> PcapSource {
        try NetnsThread.run(in: point.networkNamespace) { try PcapSource(point, options) }
    }

    private init(_ point: CapturePoint, _ o: Options) throws {
        self.point = point
        var err = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let h = pcap_create(point.iface, &err) else {
            throw CaptureError.pcap(point: point.description, function: "pcap_create", message: Self.text(err))
        }
        handle = h
        snapLength = o.snapLength
        timeoutMs = o.timeoutMs
        // Each setter fails only on a handle already active or a value libpcap rejects: say which.
        for (function, rc) in [("pcap_set_snaplen", pcap_set_snaplen(h, o.snapLength)),
                               ("pcap_set_buffer_size", pcap_set_buffer_size(h, o.bufferSize)),
                               ("pcap_set_timeout", pcap_set_timeout(h, o.timeoutMs)),
                               ("pcap_set_promisc", pcap_set_promisc(h, 0))] where rc != 0 {
            let msg = String(cString: pcap_statustostr(rc))
            pcap_close(h)
            throw CaptureError.pcap(point: point.description, function: function, message: msg)
        }
        let rc = pcap_activate(h)
        if rc < 0 {
            let msg = String(cString: pcap_geterr(h))
            pcap_close(h)
            let hint = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface in namespace \(point.netns ?? "(current)")"
                : rc == PCAP_ERROR_PERM_DENIED ? msg + " (capturing needs CAP_NET_RAW: run with sudo; see 'hoptrace doctor')" : msg
            throw CaptureError.pcap(point: point.description, function: "pcap_activate", message: hint)
        }
        linkType = pcap_datalink(h)
        guard LinkType.isSupported(Int(linkType)) else {
            pcap_close(h)
            throw CaptureError.pcap(point: point.description, function: "pcap_datalink",
                                    message: "link type \(linkType) is not supported yet (Ethernet, Linux cooked and raw IP are)")
        }
        ownMAC = Self.macAddress(of: point.iface)
        if !o.filter.isEmpty {
            var program = bpf_program()
            guard pcap_compile(h, &program, o.filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                let msg = String(cString: pcap_geterr(h))
                pcap_close(h)
                throw CaptureError.filter(expression: o.filter, message: msg)
            }
            defer { pcap_freecode(&program) }
            guard pcap_setfilter(h, &program) == 0 else {
                let msg = String(cString: pcap_geterr(h))
                pcap_close(h)
                throw CaptureError.pcap(point: point.description, function: "pcap_setfilter", message: msg)
            }
        }
        pcap_setnonblock(h, 1, &err)
        fd = pcap_get_selectable_fd(h)
    }

    /// Reads what is buffered now, without blocking, and decodes each packet where it lies.
    /// Returns -1 when the interface is gone (or another error), with the reason in `lastError`.
    /// At most `limit` packets (nil: all that are buffered).
    ///
    /// `keepBytes`: each packet's bytes are copied out for the handler (a recording writes them).
    /// Without it the packet carries none: a copy per packet was an allocation and a free, and
    /// a reference the merge's every move retained and released.
    public func drain(limit: Int? = nil, keepBytes: Bool = true,
                      _ handler: (PcapPacket, Result<DecodedPacket, DecodeError>) -> Void) -> Int32 {
        withoutActuallyEscaping(handler) { handler in
            drain(limit: limit.map { Int32(clamping: max(1, $0)) } ?? -1, keepBytes: keepBytes, escaping: handler)
        }
    }

    private func drain(limit: Int32, keepBytes: Bool,
                       escaping handler: @escaping (PcapPacket, Result<DecodedPacket, DecodeError>) -> Void) -> Int32 {
        var box = HandlerBox(source: self, keepBytes: keepBytes, handler: handler)
        return withUnsafeMutablePointer(to: &box) { ptr in
            pcap_dispatch(handle, limit, { user, header, bytes in
                guard let user, let header, let bytes else { return }
                let box = user.withMemoryRebound(to: HandlerBox.self, capacity: 1) { $0 }
                let h = header.pointee
                box.pointee.deliver(UnsafeBufferPointer(start: bytes, count: Int(h.caplen)),
                                    seconds: Int(h.ts.tv_sec), micros: Int(h.ts.tv_usec), wireLength: Int(h.len))
            }, UnsafeMutableRawPointer(ptr).assumingMemoryBound(to: UInt8.self))
        }
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Decodes one packet of this point's link type (`drain` does, as it reads them).
    func decode(_ bytes: [UInt8], wireLength: Int) throws(DecodeError) -> DecodedPacket {
        try LinkType.decode(bytes, wireLength: wireLength, linkType: Int(linkType), ownMAC: ownMAC)
    }

    /// The bytes of the packet being decoded when they are not kept: one buffer, reused.
    fileprivate var scratch: [UInt8] = []

    /// getifaddrs answers for the calling thread's namespace, which is the point's here.
    static func macAddress(of iface: String) -> [UInt8] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var cur = list
        while let entry = cur {
            defer { cur = entry.pointee.ifa_next }
            guard let addr = entry.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_PACKET),
                  String(cString: entry.pointee.ifa_name) == iface else { continue }
            // struct sockaddr_ll (linux/if_packet.h, not imported): halen at byte 11, address from 12.
            let raw = UnsafeRawPointer(addr)
            let halen = min(8, Int(raw.load(fromByteOffset: 11, as: UInt8.self)))
            return (0..<halen).map { raw.load(fromByteOffset: 12 + $0, as: UInt8.self) }
        }
        return []
    }

    public var lastError: String { String(cString: pcap_geterr(handle)) }

    /// Packets received and dropped by the kernel (pcap_stats).
    public var stats: (received: UInt32, dropped: UInt32) {
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return (0, 0) }
        return (s.ps_recv, s.ps_drop)
    }

    deinit { pcap_close(handle) }
}

public struct PcapPacket {
    public let seconds: Int
    public let micros: Int
    /// Empty unless the loop keeps them (`CaptureLoop.keepBytes`): decoding needs them no longer.
    public let bytes: [UInt8]
    public let wireLength: Int

    public init(seconds: Int, micros: Int, bytes: [UInt8], wireLength: Int) {
        self.seconds = seconds
        self.micros = micros
        self.bytes = bytes
        self.wireLength = wireLength
    }
}

private struct HandlerBox {
    let source: PcapSource
    let keepBytes: Bool
    let handler: (PcapPacket, Result<DecodedPacket, DecodeError>) -> Void

    func deliver(_ bytes: UnsafeBufferPointer<UInt8>, seconds: Int, micros: Int, wireLength: Int) {
        if keepBytes {
            let pkt = PcapPacket(seconds: seconds, micros: micros, bytes: Array(bytes), wireLength: wireLength)
            handler(pkt, Result { () throws(DecodeError) in try source.decode(pkt.bytes, wireLength: wireLength) })
            return
        }
        // Within its capacity, refilling the scratch buffer allocates nothing.
        source.scratch.removeAll(keepingCapacity: true)
        source.scratch.append(contentsOf: bytes)
        let decoded = Result { () throws(DecodeError) in try source.decode(source.scratch, wireLength: wireLength) }
        handler(PcapPacket(seconds: seconds, micros: micros, bytes: [], wireLength: wireLength), decoded)
    }
}
