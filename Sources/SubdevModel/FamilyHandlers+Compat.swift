import Netlink
import SubdevPlugin
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

/// `dev-compat`: whether one subdevice can migrate to another, judged by
/// the destination's plugin (seed 003: the vendor, not a string compare,
/// knows what its driver versions can read).
extension FamilyHandlers {
    /// One side of the check as the request gives it.
    struct CompatSide {
        var side: MigrationSide
        /// The parent, when it is one of this machine's.
        var parent: Parent?
        /// Whether the side is a live subdevice, not a description.
        var live: Bool
    }

    func devCompat(_ request: Request) throws -> HandlerOutput {
        let source = try compatSide(request, SubdevCompatAttr.source)
        let destination = try compatSide(request, SubdevCompatAttr.destination)
        var problems: [String]
        if let parent = destination.parent {
            if let type = parent.type(destination.side.type) {
                problems = parent.plugin.migrationProblems(from: source.side, to: destination.side, type: type)
                if !destination.live, machine.available(type, on: parent) == 0 {
                    problems.append("\(parent.handle) has no room for another \(type.name) now")
                }
            } else {
                problems = ["the destination's parent \(parent.handle) has no type \(destination.side.type); it offers \(parent.spec.types.map(\.name).joined(separator: ", "))"]
            }
        } else if let parent = source.parent {
            // The destination is elsewhere: the source's plugin judges its own kind.
            if let type = parent.type(destination.side.type) {
                problems = parent.plugin.migrationProblems(from: source.side, to: destination.side, type: type)
            } else {
                problems = ["type \(destination.side.type) of the destination is unknown to plugin \(parent.plugin.driver) of the source's parent \(parent.handle)"]
            }
        } else {
            throw NetlinkError(errno: ENODEV, message: "neither \(source.side.parent) nor \(destination.side.parent) is a parent here; the check needs the plugin of one of them",
                               offset: request.offset(of: SubdevCompatAttr.destination).map(UInt32.init))
        }
        var out = AttributeEncoder()
        out.put(SubdevCompatAttr.compatible, UInt8(problems.isEmpty ? 1 : 0))
        for problem in problems {
            out.put(SubdevCompatAttr.reason, Self.clipped(problem, to: SubdevConstant.stringValueLen))
        }
        return HandlerOutput(replies: [out.bytes])
    }

    /// `text` cut to at most `limit` bytes at a character boundary, as the
    /// spec bounds a reason.
    static func clipped(_ text: String, to limit: Int) -> String {
        var result = ""
        for character in text {
            guard result.utf8.count + character.utf8.count <= limit else { break }
            result.append(character)
        }
        return result
    }

    /// Reads the nest `attribute`: a live subdevice (by parent and index
    /// or by name) or, when it carries a type, a description.
    private func compatSide(_ request: Request, _ attribute: SubdevCompatAttr) throws -> CompatSide {
        guard let nest = request.attributes.first(attribute.rawValue) else { throw request.missing(attribute) }
        guard let set = subdevFamilyPolicy.sets["dev"] else {
            throw NetlinkError(errno: EINVAL, message: "the family has no dev attribute set")
        }
        let inner = Request(operation: request.operation, attributes: AttributeDecoder(attributes: try nest.children()),
                            set: PolicyValidator.Rules(set), credentials: request.credentials)
        guard let typeName = try inner.attributes.string(SubdevDevAttr.type) else {
            let position = try locateDevice(inner)
            let device = machine.devices[position]
            let parent = machine.parent(ofDevice: position)
            let compat = parent?.type(device.typeName)?.migration.offered
            return CompatSide(side: MigrationSide(parent: device.parentHandle, type: device.typeName,
                                                  params: device.instanceState.params, compatibility: compat),
                              parent: parent, live: true)
        }
        let bus = try inner.requireString(SubdevDevAttr.busName)
        let name = try inner.requireString(SubdevDevAttr.devName)
        var params: [String: ParamValue] = [:]
        for param in try self.params(of: inner) {
            if params[param.name] != nil {
                throw NetlinkError(errno: EINVAL, message: "\(attribute.name) gives parameter \(param.name) twice", offset: UInt32(param.offset))
            }
            params[param.name] = param.value
        }
        var compat = try inner.attributes.string(SubdevDevAttr.migrationCompat)
        let parent = machine.parentIndex(bus: bus, name: name).map { machine.parents[$0] }
        if let type = parent?.type(typeName) {
            // Described here: the type is known, so defaults and its data fill the gaps.
            for schema in type.params where params[schema.name] == nil {
                if let value = schema.defaultValue { params[schema.name] = value }
            }
            compat = compat ?? type.migration.offered
        }
        return CompatSide(side: MigrationSide(parent: "\(bus)/\(name)", type: typeName, params: params, compatibility: compat),
                          parent: parent, live: false)
    }
}
