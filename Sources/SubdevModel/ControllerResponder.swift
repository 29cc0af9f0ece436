import Netlink
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

/// Answers nlctrl's `CTRL_CMD_GETFAMILY` for the subdev family, as the
/// kernel's controller would, so that unmodified libnl clients resolve the
/// family with `genl_ctrl_resolve` once their peer port is the model's.
struct ControllerResponder {
    let description: FamilyDescription

    init(family: FamilyPolicy, id: UInt16, groupIDs: [String: UInt32]) {
        let operations = family.operations.values.sorted { $0.command < $1.command }.compactMap { op -> FamilyDescription.Operation? in
            guard !op.isNotification else { return nil }
            // No GENL_CMD_CAP_HASPOL: the model does not answer
            // CTRL_CMD_GETPOLICY yet, and says only what it does.
            var flags: OperationFlags = []
            if op.doRequest != nil { flags.insert(.canDo) }
            if op.dumpRequest != nil { flags.insert(.canDump) }
            if op.adminPerm { flags.insert(.adminPerm) }
            return FamilyDescription.Operation(command: UInt32(op.command), flags: flags)
        }
        description = FamilyDescription(
            id: id, name: family.name, version: family.version, headerSize: 0,
            maxAttribute: UInt32(family.sets.values.map(\.maxType).max() ?? 0),
            operations: operations, multicastGroups: groupIDs)
    }

    /// The reply attribute areas for a controller request, or an error.
    func handle(_ message: GenericMessage, dump: Bool) throws -> [[UInt8]] {
        guard message.command == Controller.Command.getFamily else {
            throw NetlinkError(errno: EOPNOTSUPP, message: "the subdev model answers only CTRL_CMD_GETFAMILY")
        }
        if dump { return [description.encodedAttributes()] }
        let attributes = try message.decoder()
        if let name = try attributes.string(Controller.Attr.familyName) {
            guard name == description.name else {
                throw NetlinkError(errno: ENOENT, message: "family \(name) is not served here: this port serves \(description.name)",
                                   offset: attributes.first(Controller.Attr.familyName).map { UInt32($0.offset) })
            }
        } else if let id = try attributes.integer(Controller.Attr.familyID, as: UInt16.self) {
            guard id == description.id else {
                throw NetlinkError(errno: ENOENT, message: "family id \(id) is not served here: this port serves \(description.id)",
                                   offset: attributes.first(Controller.Attr.familyID).map { UInt32($0.offset) })
            }
        } else {
            throw NetlinkError(errno: EINVAL, message: "CTRL_CMD_GETFAMILY needs a family name or id",
                               missingType: UInt32(Controller.Attr.familyName))
        }
        return [description.encodedAttributes()]
    }
}
