#if canImport(Glibc)
import Glibc
#endif
import Netlink
import SubdevUAPI

/// The attribute bytes of one subdevice decoded in full, kept to decode
/// the next ones of a dump or batch like it: a message whose bytes are
/// the same but for the subdevice's own numbers is that subdevice with
/// those numbers read.
///
/// In a run of alike subdevices the messages differ only in index,
/// states, `vfioN`, PASID and the numbers that end the two paths, each
/// at the same place. Checking that the rest of the bytes are the same
/// takes a few comparisons of memory, and reading the numbers a few
/// loads, where walking and matching some thirty attributes took about
/// 4.5k instructions a subdevice. Equal bytes elsewhere mean the same
/// framing, the same attributes in the same order and the same shared
/// values, so the result is what decoding in full gives.
///
/// A class, so that the memo holds and hands it on without copying its
/// fields. Never changed once made.
final class MessageTemplate {
    /// The attribute area it was made from.
    private let bytes: [UInt8]
    /// What that decoded to.
    private let device: DeviceInfo
    /// Where the subdevice's own numbers lie, in offset order.
    private let fields: [Field]

    /// A number's place in the attribute area.
    struct Field {
        enum Kind {
            case index, adminState, operState, vfioIndex, pasid, devNodeNumber, sysfsNumber

            /// Read from the `vfio` nest.
            var inVFIONest: Bool {
                switch self {
                case .vfioIndex, .pasid, .devNodeNumber, .sysfsNumber: return true
                case .index, .adminState, .operState: return false
                }
            }
        }
        let kind: Kind
        let offset: Int
        /// In bytes: the integer's size, or the path number's digits.
        let width: Int
    }

    /// A template of the subdevice `decoder` held, which decoded to
    /// `device`; `nil` for a named subdevice (a name is unique, so no
    /// other would match) or a decoder without an attribute area.
    init?(_ decoder: AttributeDecoder, decodedAs device: DeviceInfo) {
        guard device.name == nil,
              let (area, baseOffset) = decoder.withUnsafeArea({ (Array($0), $1) }),
              let fields = try? Self.fields(of: decoder, baseOffset: baseOffset) else { return nil }
        bytes = area
        self.device = device
        self.fields = fields
    }

    /// The subdevice of attribute area `raw`, if it is this template's
    /// but for the numbers; `nil` if anything else differs.
    func decode(_ raw: UnsafeRawBufferPointer) -> DeviceInfo? {
        guard raw.count == bytes.count, let new = raw.baseAddress else { return nil }
        // Read into locals and made at the end: copying the template's
        // value and changing it cost two copies of it, each counted.
        var index = device.index, adminState = device.adminState, operState = device.operState
        var own = device.vfioOwn
        let same = bytes.withUnsafeBytes { kept -> Bool in
            guard let old = kept.baseAddress else { return false }
            var position = 0
            for field in fields {
                guard memcmp(old + position, new + position, field.offset - position) == 0 else { return false }
                let value = UnsafeRawBufferPointer(start: new + field.offset, count: field.width)
                switch field.kind {
                case .index: index = Self.integer(value)
                case .adminState: adminState = SubdevAdminState(rawValue: UInt32(value[0]))
                case .operState: operState = SubdevOperState(rawValue: UInt32(value[0]))
                case .vfioIndex: own?.index = Self.integer(value)
                case .pasid: own?.pasid = Self.integer(value)
                case .devNodeNumber:
                    guard let number = Self.number(value) else { return false }
                    own?.devNodeNumber = number
                case .sysfsNumber:
                    guard let number = Self.number(value) else { return false }
                    own?.sysfsNumber = number
                }
                position = field.offset + field.width
            }
            return memcmp(old + position, new + position, raw.count - position) == 0
        }
        guard same else { return nil }
        return DeviceInfo(index: index, name: nil, adminState: adminState, operState: operState, vfioOwn: own, alike: device.alike)
    }

    private static func integer(_ value: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(littleEndian: value.loadUnaligned(as: UInt32.self))
    }

    /// The number whose digits `value` holds, if `NumberedPath` would split
    /// the path there as it did the template's: all of `value` is the
    /// number (all digits, no leading zero, which would join the stem).
    private static func number(_ value: UnsafeRawBufferPointer) -> UInt32? {
        let (stem, number) = NumberedPath.split(value)
        return stem == 0 ? number : nil
    }

    /// Where the numbers decoding read lie, as it read them: the last of
    /// a repeated attribute, and of a repeated `vfio` nest. In offset
    /// order by construction: the walk goes forward, and a field read
    /// again replaces the earlier one by going last. (A dictionary by
    /// kind, sorted at the end, cost 10k instructions a template, which
    /// a batch round-robin over parents makes one of per parent.)
    private static func fields(of decoder: AttributeDecoder, baseOffset: Int) throws -> [Field] {
        var found: [Field] = []
        found.reserveCapacity(7)
        func note(_ kind: Field.Kind, _ attribute: AttributeDecoder.Found, width: Int) throws {
            // Decoding in full read it as an integer of this size, or failed.
            guard attribute.payload.count == width else { throw ProtocolError("attribute \(attribute.type) of \(attribute.payload.count) bytes") }
            found.removeAll { $0.kind == kind }
            found.append(Field(kind: kind, offset: attribute.offset + Attribute.headerSize - baseOffset, width: width))
        }
        func path(_ kind: Field.Kind, _ attribute: AttributeDecoder.Found) throws {
            let text = try attribute.stringBytes()
            let (stem, number) = NumberedPath.split(text)
            found.removeAll { $0.kind == kind }
            // A path without a number is all stem: the same bytes or a miss.
            guard number != nil else { return }
            found.append(Field(kind: kind, offset: attribute.offset + Attribute.headerSize - baseOffset + stem, width: text.count - stem))
        }
        try decoder.forEach { attribute in
            switch SubdevDevAttr(rawValue: attribute.type) {
            case .index?: try note(.index, attribute, width: 4)
            case .adminState?: try note(.adminState, attribute, width: 1)
            case .operState?: try note(.operState, attribute, width: 1)
            case .vfio?:
                // Decoding in full keeps the last nest's fields only.
                found.removeAll { $0.kind.inVFIONest }
                try attribute.nested().forEach { field in
                    switch SubdevVfioAttr(rawValue: field.type) {
                    case .index?: try note(.vfioIndex, field, width: 4)
                    case .pasid?: try note(.pasid, field, width: 4)
                    case .devNode?: try path(.devNodeNumber, field)
                    case .sysfsPath?: try path(.sysfsNumber, field)
                    default: break
                    }
                }
            default: break
            }
        }
        return found
    }
}
