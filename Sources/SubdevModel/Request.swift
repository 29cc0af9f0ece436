#if canImport(Glibc)
import Glibc
#endif
import Netlink
import SubdevUAPI

/// A validated request as a handler sees it.
struct Request {
    let operation: OperationPolicy
    let attributes: AttributeDecoder
    let set: AttributeSetPolicy
    let credentials: Credentials?

    /// A required string attribute; a missing one is `EINVAL` with
    /// `NLMSGERR_ATTR_MISS_TYPE` set.
    func requireString<A: RawRepresentable>(_ attribute: A) throws -> String where A.RawValue == UInt16 {
        guard let value = try attributes.string(attribute) else { throw missing(attribute) }
        return value
    }

    func missing<A: RawRepresentable>(_ attribute: A) -> NetlinkError where A.RawValue == UInt16 {
        guard let policy = set.attributes[attribute.rawValue] else {
            return NetlinkError(errno: EINVAL, message: "\(operation.name) needs attribute \(attribute.rawValue)",
                                missingType: UInt32(attribute.rawValue))
        }
        return PolicyValidator.missing(policy, for: operation.name)
    }

    /// Offset of the attribute in the request, for an extack that points at it.
    func offset<A: RawRepresentable>(of attribute: A) -> Int? where A.RawValue == UInt16 {
        attributes.offset(of: attribute.rawValue)
    }
}
