/// A path kept as its directory and its last component. In a dump or a
/// batch, subdevices share the directory (the device nodes' directory, a
/// parent's sysfs directory), and the last component (`vfio12`,
/// `subdev.3`) fits in a `String`'s inline storage, so a decoded path
/// allocates nothing of its own: two allocations and about 160 bytes of
/// heap less per subdevice of a large dump.
///
/// Always split after the last `/`, so equal paths have equal parts and
/// the synthesized `==` and hash are those of the whole path.
struct PathText: Sendable, Hashable {
    /// Up to and including the last `/`; empty when there is none.
    private(set) var directory: String
    private(set) var last: String

    init(_ path: String) {
        let utf8 = path.utf8
        guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else {
            directory = ""
            last = path
            return
        }
        let split = utf8.index(after: slash)
        directory = String(path[..<split])
        last = String(path[split...])
    }

    /// The path whose UTF-8 is `bytes`, its directory from `directory`,
    /// which is handed the bytes up to and including the last `/`.
    init(_ bytes: UnsafeRawBufferPointer, directory: (UnsafeRawBufferPointer) throws -> String) rethrows {
        let split = bytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0
        // `/` is never part of a multi-byte sequence, so each side decodes
        // as it would within the whole.
        self.directory = try directory(UnsafeRawBufferPointer(rebasing: bytes[..<split]))
        last = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[split...]), as: UTF8.self)
    }

    var path: String { directory + last }
}
