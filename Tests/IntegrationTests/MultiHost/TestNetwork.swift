import Foundation
import TestSupport

/// Hosts on one machine: a network namespace per host, each joined to one bridge by a veth pair,
/// on a private /24 whose `.1` is the bridge itself, so the test reaches every host directly.
/// Every name starts with a prefix that holds this process's id, so a later run recognises
/// (and removes) what a run that crashed left behind.
final class TestNetwork: @unchecked Sendable {
    /// One host: its namespace and its address on the bridge.
    struct Host: Sendable {
        let namespace: String
        let address: String
        /// The bridge's end of the host's cable: taking it down cuts the host off.
        let cable: String
    }

    static let namePrefix = "o2t"
    static let ipCommand = "/usr/sbin/ip"

    let prefix: String
    /// The first three octets of the subnet.
    let subnet: String
    private let bridge: String
    private(set) var hosts: [Host] = []

    /// Makes the bridge; hosts join with `addHost`. Removes earlier runs' leftovers first.
    init() throws {
        Self.removeLeftovers()
        let pid = getpid()
        prefix = "\(Self.namePrefix)\(pid)"
        // One subnet a run, so two runs on one machine (two worktrees) do not share addresses.
        subnet = "10.\(200 + Int(pid) % 50).\(Int(pid) / 50 % 256)"
        bridge = "\(prefix)br"
        try Self.run(["link", "add", bridge, "type", "bridge"])
        try Self.run(["addr", "add", "\(subnet).1/24", "dev", bridge])
        try Self.run(["link", "set", bridge, "up"])
    }

    /// A new namespace `<prefix>-<name>` at `<subnet>.<number>`, with loopback up.
    func addHost(_ name: String, number: Int) throws -> Host {
        let host = Host(namespace: "\(prefix)-\(name)", address: "\(subnet).\(number)", cable: "\(prefix)v\(number)")
        try Self.run(["netns", "add", host.namespace])
        hosts.append(host)
        try Self.run(["link", "add", host.cable, "type", "veth", "peer", "name", "eth0", "netns", host.namespace])
        try Self.run(["link", "set", host.cable, "master", bridge, "up"])
        try Self.run(["-n", host.namespace, "addr", "add", "\(host.address)/24", "dev", "eth0"])
        try Self.run(["-n", host.namespace, "link", "set", "eth0", "up"])
        try Self.run(["-n", host.namespace, "link", "set", "lo", "up"])
        return host
    }

    /// The command line prefix that runs a program inside `host`'s namespace.
    static func launcher(_ host: Host) -> [String] { [ipCommand, "netns", "exec", host.namespace] }

    /// Unplugs the host's cable: packets to and from it are dropped, as when a switch port or a
    /// host dies, so its open connections hang rather than being refused.
    func cut(_ host: Host) throws { try Self.run(["link", "set", host.cable, "down"]) }

    func reconnect(_ host: Host) throws { try Self.run(["link", "set", host.cable, "up"]) }

    /// Kills every process still in the namespaces, then removes them and the bridge.
    func destroy() {
        for host in hosts { Self.removeNamespace(host.namespace) }
        hosts = []
        _ = try? Command.output(Self.ipCommand, ["link", "del", bridge])
    }

    // MARK: - Leftovers of runs that crashed

    /// Namespaces and bridges named for a test process that no longer runs.
    static func removeLeftovers() {
        let namespaces = (try? Command.output(ipCommand, ["netns", "list"]).output) ?? ""
        for line in namespaces.split(separator: "\n") {
            let name = String(line.split(separator: " ")[0])
            if let owner = owner(of: name), !isRunning(owner) { removeNamespace(name) }
        }
        let bridges = (try? Command.output(ipCommand, ["-o", "link", "show", "type", "bridge"]).output) ?? ""
        for line in bridges.split(separator: "\n") {
            let fields = line.split(separator: ":")
            guard fields.count > 1 else { continue }
            let name = fields[1].trimmingCharacters(in: .whitespaces)
            if let owner = owner(of: name), !isRunning(owner) { _ = try? Command.output(ipCommand, ["link", "del", name]) }
        }
    }

    /// The test process a name belongs to: the digits after the prefix.
    private static func owner(of name: String) -> pid_t? {
        guard name.hasPrefix(namePrefix) else { return nil }
        return pid_t(name.dropFirst(namePrefix.count).prefix { $0.isNumber })
    }

    private static func isRunning(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Deleting a namespace does not end its processes: kill them by pid first.
    private static func removeNamespace(_ name: String) {
        let pids = (try? Command.output(ipCommand, ["netns", "pids", name]).output) ?? ""
        for pid in pids.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
        _ = try? Command.output(ipCommand, ["netns", "del", name])
    }

    private static func run(_ arguments: [String]) throws {
        let (status, output) = try Command.output(ipCommand, arguments)
        guard status == 0 else { throw ServerProcessFailure("ip \(arguments.joined(separator: " ")) failed (\(status)): \(output)") }
    }
}
