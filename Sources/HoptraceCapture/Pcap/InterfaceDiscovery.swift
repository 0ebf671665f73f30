import CPcap
import HoptraceCore

/// `watch --netns NS`: the interfaces worth watching in a namespace — every one
/// that is up, except loopback and libpcap's pseudo-devices (any, nflog, …).
public enum InterfaceDiscovery {
    static let pseudoDevices: Set<String> = ["any", "nflog", "nfqueue", "dbus-system", "dbus-session"]

    public static func capturePoints(in namespace: NetworkNamespace?) throws -> [CapturePoint] {
        let netns = namespace?.displayName
        let names = try NetnsThread.run(in: namespace) { () throws -> [String] in
            var list: UnsafeMutablePointer<pcap_if_t>?
            var err = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
            guard pcap_findalldevs(&list, &err) == 0 else {
                throw CaptureError.pcap(point: netns ?? "(current namespace)", function: "pcap_findalldevs", message: PcapSource.text(err))
            }
            defer { pcap_freealldevs(list) }
            var names: [String] = []
            var cur = list
            while let dev = cur {
                defer { cur = dev.pointee.next }
                let name = String(cString: dev.pointee.name)
                let flags = dev.pointee.flags
                guard flags & UInt32(PCAP_IF_UP) != 0, flags & UInt32(PCAP_IF_LOOPBACK) == 0,
                      !pseudoDevices.contains(name), !name.hasPrefix("usbmon"), !name.hasPrefix("bluetooth") else { continue }
                names.append(name)
            }
            return names
        }
        return names.sorted().map { CapturePoint(netns: netns, iface: $0) }
    }
}
