#if canImport(Glibc)
import Glibc
#endif
import Netlink
import SubdevUAPI

/// A validated request as a handler sees it.
struct Request {
    /// The operation and its rules, shared by every request of it.
    let operation: PolicyValidator.Operation
    let attributes: AttributeDecoder
    /// The set `attributes` follow: the operation's, or a nest's.
    let set: PolicyValidator.Rules
    let credentials: Credentials?

    /// The spec's name of the operation, such as `dev-new`.
    var operationName: String { operation.policy.name }

    /// A required string attribute; a missing one is `EINVAL` with
    /// `NLMSGERR_ATTR_MISS_TYPE` set.
    func requireString<A: RawRepresentable>(_ attribute: A) throws -> String where A.RawValue == UInt16 {
        guard let value = try attributes.string(attribute) else { throw missing(attribute) }
        return value
    }

    func missing<A: RawRepresentable>(_ attribute: A) -> NetlinkError where A.RawValue == UInt16 {
        guard let policy = set.policy.attributes[attribute.rawValue] else {
            return NetlinkError(errno: EINVAL, message: "\(operationName) needs attribute \(attribute.rawValue)",
                                missingType: UInt32(attribute.rawValue))
        }
        return PolicyValidator.missing(policy, for: operationName)
    }

    /// Offset of the attribute in the request, for an extack that points at it.
    func offset<A: RawRepresentable>(of attribute: A) -> Int? where A.RawValue == UInt16 {
        attributes.offset(of: attribute.rawValue)
    }
}
