import Netlink

/// An attribute encoder whose room is kept from one object to the next:
/// each `dev-new` and `dev-del` encodes its subdevice, and a fresh
/// 512-byte buffer for each was an allocation, its zeroing and a free
/// before the bytes were copied out anyway.
///
/// A class, so that the handlers' non-mutating encoders can share it.
/// Not for use from more than one thread; an encoding must not start
/// another inside its body.
final class ScratchEncoder {
    // Checked at run time, each use was a begin and end of access; the
    // one user encodes synchronously and never re-enters.
    @exclusivity(unchecked) private var encoder = AttributeEncoder(capacity: 512)

    /// The attributes `body` encodes, as an array of their own.
    @inline(__always)
    func encode(_ body: (inout AttributeEncoder) -> Void) -> [UInt8] {
        encoder.removeAll()
        body(&encoder)
        return encoder.bytes
    }
}
