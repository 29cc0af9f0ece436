import Foundation

/// Where the model keeps what a kernel would show in /dev and /sys: device
/// nodes and a sysfs-style tree, below one root directory.
///
/// With root `/` the paths are the kernel's own; the default keeps each
/// model apart: `/run/subdev/PORT`.
public struct ModelRoot: Sendable, Hashable {
    public let path: String
    /// `ROOT/dev/vfio/devices/vfio`, to which a node's N is appended: made
    /// once, as every `dev-new` and `dev-del` names a node (interpolating
    /// the whole path took 2.9k instructions each time).
    let devNodePrefix: String

    /// A root at `path`; a relative one is taken from the current directory.
    public init(path: String) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        self.path = absolute.count > 1 && absolute.hasSuffix("/") ? String(absolute.dropLast()) : absolute
        devNodePrefix = (self.path == "/" ? "" : self.path) + "/dev/vfio/devices/vfio"
    }

    /// `/run/subdev/PORT`.
    public static func defaultPath(port: UInt32) -> String { "/run/subdev/\(port)" }

    /// Longest Unix socket path: `sun_path` holds 108 bytes with its NUL.
    static let socketPathLimit = 107

    func join(_ relative: String) -> String { path == "/" ? "/\(relative)" : "\(path)/\(relative)" }

    /// `ROOT/dev/vfio/devices/vfioN`: a Unix socket a VMM connects to.
    public func devNode(_ vfio: UInt32) -> String { devNodePrefix + String(vfio) }

    /// The parent's device directory, kernel style: PCI functions under
    /// their root bus (`sys/devices/pci0000:6a/0000:6a:01.0`), others under
    /// their bus (`sys/devices/virtual/mtty`).
    public func parentDirectory(bus: String, name: String) -> String {
        if bus == "pci", let colon = name.lastIndex(of: ":") {
            let domainAndBus = name[..<colon]
            return join("sys/devices/pci\(domainAndBus)/\(name)")
        }
        return join("sys/devices/\(bus)/\(name)")
    }

    /// Checks the root leaves room for the longest device node path.
    public func validate() throws {
        guard devNode(UInt32.max).utf8.count <= Self.socketPathLimit else {
            throw ModelRootError("root \(path) is too long: device node paths such as \(devNode(UInt32.max)) must fit in \(Self.socketPathLimit) bytes")
        }
    }
}

/// A model root that cannot be used.
public struct ModelRootError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
