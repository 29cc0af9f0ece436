#if canImport(Glibc)
import Glibc
#endif

/// An error the kernel, or the subdev model, answered with: an `NLMSG_ERROR`
/// carrying a negative errno and, when the sender set them, extended ACK
/// attributes (`NLMSGERR_ATTR_*`). Also thrown for local socket errors, with
/// `message` saying which call failed.
public struct NetlinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The errno, positive (`EINVAL`, not `-EINVAL`).
    public var errno: Int32
    /// `NLMSGERR_ATTR_MSG`: the sentence that says what is wrong, if any.
    public var message: String?
    /// `NLMSGERR_ATTR_OFFS`: byte offset, from the start of the request's
    /// `nlmsghdr`, of the attribute at fault.
    public var offset: UInt32?
    /// `NLMSGERR_ATTR_MISS_TYPE`: type of the attribute that was required and missing.
    public var missingType: UInt32?
    /// `NLMSGERR_ATTR_MISS_NEST`: offset of the nest the missing attribute belongs in.
    public var missingNest: UInt32?

    public init(errno: Int32, message: String? = nil, offset: UInt32? = nil,
                missingType: UInt32? = nil, missingNest: UInt32? = nil) {
        self.errno = errno
        self.message = message
        self.offset = offset
        self.missingType = missingType
        self.missingNest = missingNest
    }

    /// The extack message when there is one, else the C library's text for the errno.
    public var description: String {
        if let message, !message.isEmpty { return message }
        return String(cString: strerror(errno))
    }

    /// An error from a local system call, such as `sendmsg` or `bind`.
    public static func system(_ call: String, errno: Int32) -> NetlinkError {
        NetlinkError(errno: errno, message: "\(call): \(String(cString: strerror(errno)))")
    }
}

/// A dump was interrupted (`NLM_F_DUMP_INTR`): the object set changed while
/// it was being dumped, so the result may be inconsistent. `partial` holds
/// what was received; the caller usually dumps again.
public struct DumpInterruptedError: Error, Sendable, CustomStringConvertible {
    /// The messages received before `NLMSG_DONE`.
    public var partial: [NetlinkMessage]

    public init(partial: [NetlinkMessage]) { self.partial = partial }

    public var description: String {
        "the dump was interrupted by a concurrent change after \(partial.count) messages; dump again"
    }
}

/// A message from the peer that breaks the netlink protocol: truncated,
/// misaligned, or of a kind the request did not ask for.
public struct ProtocolError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with it.
    public var reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { "netlink protocol error: \(reason)" }
}
