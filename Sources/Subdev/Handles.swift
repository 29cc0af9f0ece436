/// A parent, named `bus/device` as devlink names its instances:
/// `pci/0000:6a:01.0`.
public struct ParentHandle: Sendable, Hashable, CustomStringConvertible, Comparable {
    public var bus: String
    public var name: String

    public init(bus: String, name: String) {
        self.bus = bus
        self.name = name
    }

    /// Parses `bus/name`; `nil` when there is no slash or either side is empty.
    public init?(parsing text: String) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let bus = String(text[..<slash]), name = String(text[text.index(after: slash)...])
        guard !bus.isEmpty, !name.isEmpty, !name.contains("/") else { return nil }
        self.init(bus: bus, name: name)
    }

    public var description: String { "\(bus)/\(name)" }

    public static func < (a: ParentHandle, b: ParentHandle) -> Bool { a.description < b.description }
}

/// A subdevice: `PARENT/INDEX` (`pci/0000:6a:01.0/3`), or the name an
/// operator gave it. No UUID.
public enum DeviceHandle: Sendable, Hashable, CustomStringConvertible {
    case index(ParentHandle, UInt32)
    case name(String)

    /// Parses `bus/name/index`; anything without slashes is a name.
    /// `nil` for text with slashes that is not `bus/name/index`.
    public init?(parsing text: String) {
        guard text.contains("/") else {
            guard !text.isEmpty else { return nil }
            self = .name(text)
            return
        }
        guard let slash = text.lastIndex(of: "/"),
              let parent = ParentHandle(parsing: String(text[..<slash])),
              let index = UInt32(text[text.index(after: slash)...]) else { return nil }
        self = .index(parent, index)
    }

    public var description: String {
        switch self {
        case .index(let parent, let index): return "\(parent)/\(index)"
        case .name(let name): return name
        }
    }
}
