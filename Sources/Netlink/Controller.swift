/// The generic netlink controller, nlctrl (`GENL_ID_CTRL`): its constants,
/// and the family description it returns, both ways, so that the client
/// resolves families and the model answers for its own in one format.
public enum Controller {
    /// `GENL_ID_CTRL`: nlctrl's family id, fixed.
    public static let familyID: UInt16 = 0x10
    /// Version of nlctrl requests.
    public static let version: UInt8 = 2

    /// `CTRL_CMD_*`.
    public enum Command {
        public static let newFamily: UInt8 = 1
        public static let getFamily: UInt8 = 3
        public static let getPolicy: UInt8 = 10
    }

    /// `CTRL_ATTR_*`.
    public enum Attr {
        public static let familyID: UInt16 = 1
        public static let familyName: UInt16 = 2
        public static let version: UInt16 = 3
        public static let headerSize: UInt16 = 4
        public static let maxAttribute: UInt16 = 5
        public static let operations: UInt16 = 6
        public static let multicastGroups: UInt16 = 7
    }

    /// `CTRL_ATTR_OP_*`.
    public enum OperationAttr {
        public static let id: UInt16 = 1
        public static let flags: UInt16 = 2
    }

    /// `CTRL_ATTR_MCAST_GRP_*`.
    public enum GroupAttr {
        public static let name: UInt16 = 1
        public static let id: UInt16 = 2
    }
}

/// Flags of an operation in a family description (`GENL_*`).
public struct OperationFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `GENL_ADMIN_PERM`: needs `CAP_NET_ADMIN`.
    public static let adminPerm = OperationFlags(rawValue: 0x01)
    /// `GENL_CMD_CAP_DO`.
    public static let canDo = OperationFlags(rawValue: 0x02)
    /// `GENL_CMD_CAP_DUMP`.
    public static let canDump = OperationFlags(rawValue: 0x04)
    /// `GENL_CMD_CAP_HASPOL`.
    public static let hasPolicy = OperationFlags(rawValue: 0x08)
}

/// A generic netlink family as nlctrl describes it (`CTRL_CMD_NEWFAMILY`).
public struct FamilyDescription: Sendable, Hashable {
    public struct Operation: Sendable, Hashable {
        public var command: UInt32
        public var flags: OperationFlags
        public init(command: UInt32, flags: OperationFlags) {
            self.command = command
            self.flags = flags
        }
    }

    /// Family id: the `nlmsg_type` of its messages.
    public var id: UInt16
    public var name: String
    public var version: UInt32
    /// Size of the family's own header after `genlmsghdr` (0 for most).
    public var headerSize: UInt32
    /// Highest attribute type of the family.
    public var maxAttribute: UInt32
    public var operations: [Operation]
    /// Multicast group ids by name.
    public var multicastGroups: [String: UInt32]

    public init(id: UInt16, name: String, version: UInt32, headerSize: UInt32 = 0, maxAttribute: UInt32,
                operations: [Operation], multicastGroups: [String: UInt32]) {
        self.id = id
        self.name = name
        self.version = version
        self.headerSize = headerSize
        self.maxAttribute = maxAttribute
        self.operations = operations
        self.multicastGroups = multicastGroups
    }

    /// Decodes the attributes of a `CTRL_CMD_NEWFAMILY` message.
    public init(_ message: GenericMessage) throws {
        let attributes = try message.decoder()
        guard let id = try attributes.integer(Controller.Attr.familyID, as: UInt16.self),
              let name = try attributes.string(Controller.Attr.familyName) else {
            throw ProtocolError("nlctrl family without an id or a name")
        }
        self.id = id
        self.name = name
        version = try attributes.integer(Controller.Attr.version, as: UInt32.self) ?? 0
        headerSize = try attributes.integer(Controller.Attr.headerSize, as: UInt32.self) ?? 0
        maxAttribute = try attributes.integer(Controller.Attr.maxAttribute, as: UInt32.self) ?? 0
        operations = try (attributes.nested(Controller.Attr.operations)?.attributes ?? []).map {
            let op = AttributeDecoder(attributes: try $0.children())
            return Operation(command: try op.integer(Controller.OperationAttr.id, as: UInt32.self) ?? 0,
                             flags: OperationFlags(rawValue: try op.integer(Controller.OperationAttr.flags, as: UInt32.self) ?? 0))
        }
        var groups: [String: UInt32] = [:]
        for entry in try attributes.nested(Controller.Attr.multicastGroups)?.attributes ?? [] {
            let group = AttributeDecoder(attributes: try entry.children())
            if let name = try group.string(Controller.GroupAttr.name),
               let id = try group.integer(Controller.GroupAttr.id, as: UInt32.self) {
                groups[name] = id
            }
        }
        multicastGroups = groups
    }

    /// Encodes the description as the attributes of `CTRL_CMD_NEWFAMILY`,
    /// in the kernel's order; arrays are nests indexed from 1.
    public func encodedAttributes() -> [UInt8] {
        var out = AttributeEncoder()
        out.put(Controller.Attr.familyName, name)
        out.put(Controller.Attr.familyID, id)
        out.put(Controller.Attr.version, version)
        out.put(Controller.Attr.headerSize, headerSize)
        out.put(Controller.Attr.maxAttribute, maxAttribute)
        if !operations.isEmpty {
            out.nest(Controller.Attr.operations) { list in
                for (index, op) in operations.enumerated() {
                    list.nest(UInt16(index + 1)) { entry in
                        entry.put(Controller.OperationAttr.id, op.command)
                        entry.put(Controller.OperationAttr.flags, op.flags.rawValue)
                    }
                }
            }
        }
        if !multicastGroups.isEmpty {
            out.nest(Controller.Attr.multicastGroups) { list in
                for (index, group) in multicastGroups.sorted(by: { $0.value < $1.value }).enumerated() {
                    list.nest(UInt16(index + 1)) { entry in
                        entry.put(Controller.GroupAttr.id, group.value)
                        entry.put(Controller.GroupAttr.name, group.key)
                    }
                }
            }
        }
        return out.bytes
    }
}

extension NetlinkConnection {
    /// Resolves a family by name through nlctrl at this connection's peer
    /// port: the kernel at port 0, the subdev model at its own.
    ///
    /// - Throws: `NetlinkError` `ENOENT` when no such family is registered.
    public func resolveFamily(_ name: String) throws -> FamilyDescription {
        var attributes = AttributeEncoder()
        attributes.put(Controller.Attr.familyName, name)
        let request = GenericMessage(family: Controller.familyID, command: Controller.Command.getFamily,
                                     version: Controller.version, attributes: attributes.bytes)
        // CTRL_CMD_GETFAMILY always replies: no ACK needed after it.
        let replies = try execute(request.netlinkMessage, endingWith: .reply)
        guard let reply = replies.first else {
            throw ProtocolError("nlctrl answered CTRL_CMD_GETFAMILY for \(name) with no family")
        }
        return try FamilyDescription(GenericMessage(reply))
    }

    /// Dumps every family registered at this connection's peer.
    public func families() throws -> [FamilyDescription] {
        let request = GenericMessage(family: Controller.familyID, command: Controller.Command.getFamily,
                                     version: Controller.version)
        return try dump(request.netlinkMessage).map { try FamilyDescription(GenericMessage($0)) }
    }
}
