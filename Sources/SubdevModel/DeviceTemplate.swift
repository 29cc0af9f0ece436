import Netlink
import SubdevPlugin
import SubdevUAPI

/// One dumped subdevice's attributes, kept to encode the next ones like it
/// by copying the bytes and writing their own numbers in.
///
/// A dump goes parent by parent, and a parent's subdevices mostly differ
/// only in numbers: index, states, `vfioN` and the digits of their paths,
/// the node's owner and mode, error counts. Encoding each attribute anew
/// cost about 3k instructions a subdevice, a quarter of them retaining and
/// releasing what the parent's subdevices share; a copy and a dozen
/// stores cost a few hundred.
///
/// A subdevice is encoded from a template only when everything else it
/// would encode is what the template's subdevice encoded: the same parent
/// encoding and type, the very same parameter list (the table stores one
/// copy of each, `SharedValues`), no details, name, owner, holder or
/// reason, a PASID where the template has one, and numbers of as many
/// digits in its paths. Anything else is encoded in full.
///
/// A class, so that holding and passing one copies no field.
final class DeviceTemplate {
    /// What a subdevice must share with the template's to be encoded from it.
    private let context: ParentEncoding
    private let typeName: String
    /// Held, so no other list is stored at its address while the template
    /// is kept: a list at the same address is this one.
    private let params: [(name: String, value: ParamValue)]
    private let hasPASID: Bool
    private let indexDigits: Int
    private let vfioDigits: Int
    /// The attributes, and where in them each number's payload lies.
    private let bytes: [UInt8]
    private let at: Offsets

    /// Payload offsets in `bytes`.
    private struct Offsets {
        var index = -1, adminState = -1, operState = -1
        var vfioIndex = -1, devNodeDigits = -1, sysfsDigits = -1, pasid = -1
        var nodeUid = -1, nodeGid = -1, nodeMode = -1
        var correctable = -1, nonFatal = -1, fatal = -1, resets = -1

        /// Whether every number a template patches was found.
        var complete: Bool {
            [index, adminState, operState, vfioIndex, devNodeDigits, sysfsDigits, nodeUid, nodeGid, nodeMode,
             correctable, nonFatal, fatal, resets].allSatisfy { $0 >= 0 }
        }
    }

    /// A template of `encoded`, the attributes `ObjectEncoding.device`
    /// made for `device` in `context`; `nil` when the subdevice has what
    /// a template does not patch (a name, details, an owner, holders).
    init?(_ encoded: [UInt8], of device: UnsafePointer<Subdevice>, in context: ParentEncoding, holders: [Holder]) {
        hasPASID = device.pointee.pasid != nil
        indexDigits = AttributeEncoder.decimalDigits(device.pointee.index)
        vfioDigits = AttributeEncoder.decimalDigits(device.pointee.vfioIndex)
        guard Self.mayShape(device, holders: holders),
              let at = try? Self.offsets(in: encoded, pasid: hasPASID, vfioDigits: vfioDigits, indexDigits: indexDigits) else { return nil }
        self.context = context
        typeName = device.pointee.typeName
        params = device.pointee.params
        bytes = encoded
        self.at = at
    }

    /// Whether `device` in `context` encodes as the template's subdevice
    /// did, but for the numbers `encode` writes.
    func fits(_ device: UnsafePointer<Subdevice>, in context: ParentEncoding, holders: [Holder]) -> Bool {
        guard context === self.context, Self.mayShape(device, holders: holders),
              (device.pointee.pasid != nil) == hasPASID,
              AttributeEncoder.decimalDigits(device.pointee.index) == indexDigits,
              AttributeEncoder.decimalDigits(device.pointee.vfioIndex) == vfioDigits,
              device.pointee.typeName == typeName else { return false }
        let list = device.pointee.params.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        return list == params.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    /// Appends `device`'s attributes, which `fits` accepted, to `out`.
    func encode(_ device: UnsafePointer<Subdevice>, into out: inout AttributeEncoder) {
        // Read field by field where the table keeps it: a copy of the
        // whole subdevice would retain each of its strings and lists.
        let at = self.at, vfioDigits = self.vfioDigits, indexDigits = self.indexDigits
        out.append(encoded: bytes) { bytes in
            bytes.storeBytes(of: device.pointee.index.littleEndian, toByteOffset: at.index, as: UInt32.self)
            bytes[at.adminState] = UInt8(device.pointee.adminState.rawValue)
            bytes[at.operState] = UInt8(device.pointee.operState.rawValue)
            bytes.storeBytes(of: device.pointee.vfioIndex.littleEndian, toByteOffset: at.vfioIndex, as: UInt32.self)
            AttributeEncoder.storeDecimal(device.pointee.vfioIndex, digits: vfioDigits, at: at.devNodeDigits, in: bytes)
            AttributeEncoder.storeDecimal(device.pointee.index, digits: indexDigits, at: at.sysfsDigits, in: bytes)
            if let pasid = device.pointee.pasid { bytes.storeBytes(of: pasid.littleEndian, toByteOffset: at.pasid, as: UInt32.self) }
            bytes.storeBytes(of: device.pointee.node.uid.littleEndian, toByteOffset: at.nodeUid, as: UInt32.self)
            bytes.storeBytes(of: device.pointee.node.gid.littleEndian, toByteOffset: at.nodeGid, as: UInt32.self)
            bytes.storeBytes(of: device.pointee.node.mode.littleEndian, toByteOffset: at.nodeMode, as: UInt16.self)
            bytes.storeBytes(of: device.pointee.aerStats.correctable.littleEndian, toByteOffset: at.correctable, as: UInt64.self)
            bytes.storeBytes(of: device.pointee.aerStats.nonFatal.littleEndian, toByteOffset: at.nonFatal, as: UInt64.self)
            bytes.storeBytes(of: device.pointee.aerStats.fatal.littleEndian, toByteOffset: at.fatal, as: UInt64.self)
            bytes.storeBytes(of: device.pointee.aerStats.resets.littleEndian, toByteOffset: at.resets, as: UInt64.self)
        }
    }

    /// Whether `device` has none of what a template leaves out: what
    /// would add attributes, or make them differ in length.
    private static func mayShape(_ device: UnsafePointer<Subdevice>, holders: [Holder]) -> Bool {
        device.pointee.name == nil && device.pointee.ownerPID == nil && holders.isEmpty && device.pointee.allocation.details.isEmpty
    }

    /// Where each patched number lies in `encoded`; `nil` if one is missing.
    private static func offsets(in encoded: [UInt8], pasid: Bool, vfioDigits: Int, indexDigits: Int) throws -> Offsets? {
        var at = Offsets()
        for attribute in try Attribute.parse(encoded).attributes {
            let payload = attribute.offset + Attribute.headerSize
            switch SubdevDevAttr(rawValue: attribute.type) {
            case .index: at.index = payload
            case .adminState: at.adminState = payload
            case .operState: at.operState = payload
            case .nodeUid: at.nodeUid = payload
            case .nodeGid: at.nodeGid = payload
            case .nodeMode: at.nodeMode = payload
            case .vfio:
                for field in try attribute.children() {
                    let payload = field.offset + Attribute.headerSize
                    switch SubdevVfioAttr(rawValue: field.type) {
                    case .index: at.vfioIndex = payload
                    case .pasid: at.pasid = payload
                    // The number is the last digits before the NUL.
                    case .devNode: at.devNodeDigits = payload + field.payload.count - 1 - vfioDigits
                    case .sysfsPath: at.sysfsDigits = payload + field.payload.count - 1 - indexDigits
                    default: break
                    }
                }
            case .aerStats:
                for field in try attribute.children() {
                    let payload = field.offset + Attribute.headerSize
                    switch SubdevAerStatsAttr(rawValue: field.type) {
                    case .correctable: at.correctable = payload
                    case .nonFatal: at.nonFatal = payload
                    case .fatal: at.fatal = payload
                    case .resets: at.resets = payload
                    default: break
                    }
                }
            default: break
            }
        }
        guard at.complete, !pasid || at.pasid >= 0 else { return nil }
        return at
    }
}
