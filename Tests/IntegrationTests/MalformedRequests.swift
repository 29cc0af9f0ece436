import Foundation
import Netlink
import SubdevUAPI

/// A request of the seed corpus taken apart, so that a campaign can break
/// one part of it at a time and put it back together.
struct RequestParts {
    var type: UInt16
    var flags: UInt16
    var command: UInt8
    var version: UInt8
    /// The top-level attributes, as they were encoded.
    var attributes: [UInt8]

    /// Takes the first message of `datagram` apart; `nil` when it has no
    /// generic header.
    init?(_ datagram: [UInt8]) {
        guard let message = try? NetlinkMessage.parse(datagram).first, message.payload.count >= 4 else { return nil }
        type = message.header.type
        flags = message.header.flags.rawValue
        command = message.payload[0]
        version = message.payload[1]
        attributes = Array(message.payload[4...])
    }

    /// The message, with `nlmsg_len` counting `attributes` as they are now
    /// (unless `length` says otherwise).
    func encoded(sequence: UInt32, attributes body: [UInt8]? = nil, length: UInt32? = nil) -> [UInt8] {
        let body = body ?? attributes
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(length ?? UInt32(16 + 4 + body.count))
        bytes.appendLittleEndian(type)
        bytes.appendLittleEndian(flags)
        bytes.appendLittleEndian(sequence)
        bytes.appendLittleEndian(UInt32(0))
        bytes += [command, version, 0, 0]
        bytes += body
        return bytes
    }

    /// Offsets of the top-level attributes in `attributes`.
    var attributeOffsets: [Int] { Self.offsets(in: attributes) }

    /// Offsets of the attributes in `bytes`, as far as their lengths frame them.
    static func offsets(in bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 0
        while bytes.count - offset >= 4 {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            guard length >= 4, offset + length <= bytes.count else { break }
            offsets.append(offset)
            offset += (length + 3) & ~3
        }
        return offsets
    }

    /// Offsets of the nests among the top-level attributes (`NLA_F_NESTED`
    /// set and at least one attribute inside).
    var nestOffsets: [Int] {
        attributeOffsets.filter { offset in
            let type = UInt16(attributes[offset + 2]) | UInt16(attributes[offset + 3]) << 8
            let length = Int(attributes[offset]) | Int(attributes[offset + 1]) << 8
            return type & Attribute.nestedFlag != 0 && length >= 8
        }
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Writes a 16-bit little-endian value at `offset`.
    mutating func storeUInt16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }
}

/// One malformed datagram and what the model must do with it.
struct MalformedCase {
    enum Expectation {
        /// Every request in it gets an `NLMSG_ERROR` with one of these
        /// errnos and an extack message.
        case refused(Set<Int32>)
        /// Nothing comes back: the kernel drops a message whose length
        /// field it cannot trust (`netlink_rcv_skb`), and so does the model.
        case dropped
    }

    var category: String
    var datagram: [UInt8]
    /// The sequence numbers of the requests the datagram carries.
    var sequences: [UInt32]
    var expectation: Expectation
}

/// Builds the campaign's cases from the seed corpus with a fixed seed:
/// each case breaks one thing in one well-formed request.
struct MalformedCampaign {
    let seeds: [(name: String, parts: RequestParts)]
    let familyID: UInt16
    var random: SeededRandom
    private(set) var nextSequence: UInt32 = 1000

    init(seeds: [(name: String, parts: RequestParts)], familyID: UInt16, seed: UInt64) {
        self.seeds = seeds
        self.familyID = familyID
        random = SeededRandom(seed: seed)
    }

    mutating func sequence() -> UInt32 {
        nextSequence += 1
        return nextSequence
    }

    /// Flag bits no netlink request defines (`NLM_F_*` leaves 0x40, 0x80
    /// and 0x1000 and above unused).
    static let unknownFlagBits: [UInt16] = [0x40, 0x80, 0x1000, 0x2000, 0x4000, 0x8000]

    /// Every case: `perSeed` variants of each kind for each seed request.
    mutating func cases(perSeed: Int) -> [MalformedCase] {
        var all: [MalformedCase] = []
        for (_, parts) in seeds {
            for _ in 0..<perSeed {
                all += [truncatedHeader(parts), truncatedGenericHeader(parts), lengthPastTheEnd(parts),
                        zeroLength(parts), misaligned(parts), wrongFamily(parts), unknownCommand(parts)]
                if let nested = nestedOverflow(parts) { all.append(nested) }
                all.append(withUnknownFlags(all[all.count - 1 - Int.random(in: 0..<5, using: &random)]))
            }
        }
        all += oversize()
        all += wrongFilterTypes()
        return all
    }

    /// A datagram cut inside the netlink header, or one whose `nlmsg_len`
    /// is shorter than the header: dropped.
    mutating func truncatedHeader(_ parts: RequestParts) -> MalformedCase {
        let whole = parts.encoded(sequence: sequence())
        if Bool.random(using: &random) {
            return MalformedCase(category: "truncated netlink header", datagram: Array(whole.prefix(Int.random(in: 1...15, using: &random))),
                                 sequences: [], expectation: .dropped)
        }
        return MalformedCase(category: "truncated netlink header",
                             datagram: parts.encoded(sequence: sequence(), length: UInt32.random(in: 0...15, using: &random)),
                             sequences: [], expectation: .dropped)
    }

    /// `nlmsg_len` covers the netlink header but not the whole generic one.
    mutating func truncatedGenericHeader(_ parts: RequestParts) -> MalformedCase {
        let seq = sequence()
        let kept = Int.random(in: 0...3, using: &random)
        let datagram = Array(parts.encoded(sequence: seq, length: UInt32(16 + kept)).prefix(16 + kept))
        return MalformedCase(category: "truncated generic header", datagram: datagram, sequences: [seq], expectation: .refused([EINVAL]))
    }

    /// One attribute's `nla_len` runs past the end of the message.
    mutating func lengthPastTheEnd(_ parts: RequestParts) -> MalformedCase {
        let seq = sequence()
        var body = parts.attributes
        if let offset = parts.attributeOffsets.randomElement(using: &random) {
            let past = body.count - offset + Int.random(in: 1...300, using: &random)
            body.storeUInt16(UInt16(min(past, 0xFFFF)), at: offset)
        } else {
            // No attribute to stretch: add one that claims more than is there.
            body += [200, 0, 1, 0]
        }
        return MalformedCase(category: "nla_len past the end", datagram: parts.encoded(sequence: seq, attributes: body),
                             sequences: [seq], expectation: .refused([EINVAL]))
    }

    /// An attribute whose `nla_len` (0 to 3) is shorter than its own
    /// header, or a string attribute with no payload at all.
    mutating func zeroLength(_ parts: RequestParts) -> MalformedCase {
        let seq = sequence()
        var body = parts.attributes
        let offsets = parts.attributeOffsets
        if let first = offsets.first, Bool.random(using: &random), parts.type == familyID || parts.type == Controller.familyID {
            // Every seed starts with a string (bus-name, name, family-name); empty it.
            let length = Int(body[first]) | Int(body[first + 1]) << 8
            body.removeSubrange((first + 4)..<(first + ((length + 3) & ~3)))
            body.storeUInt16(4, at: first)
        } else {
            let at = insertionPoints(parts).randomElement(using: &random) ?? 0
            let header: [UInt8] = [UInt8.random(in: 0...3, using: &random), 0, UInt8.random(in: 1...20, using: &random), 0]
            body.insert(contentsOf: header, at: at)
        }
        return MalformedCase(category: "zero-length attribute", datagram: parts.encoded(sequence: seq, attributes: body),
                             sequences: [seq], expectation: .refused([EINVAL]))
    }

    /// Where a bad attribute may go so that the request must fail: anywhere
    /// in the family's requests, which are validated strictly; before an
    /// attribute in nlctrl's, which the kernel parses liberally, ignoring
    /// what follows the last attribute it can frame.
    func insertionPoints(_ parts: RequestParts) -> [Int] {
        parts.type == familyID ? parts.attributeOffsets + [parts.attributes.count] : parts.attributeOffsets
    }

    /// One to three stray bytes between attributes, so that the ones
    /// after them are read off their 4-byte alignment.
    mutating func misaligned(_ parts: RequestParts) -> MalformedCase {
        let seq = sequence()
        var body = parts.attributes
        let at = insertionPoints(parts).randomElement(using: &random) ?? 0
        body.insert(contentsOf: (0..<Int.random(in: 1...3, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: at)
        return MalformedCase(category: "misaligned attribute", datagram: parts.encoded(sequence: seq, attributes: body),
                             sequences: [seq], expectation: .refused([EINVAL]))
    }

    /// The first attribute inside a nest claims more than the nest holds.
    mutating func nestedOverflow(_ parts: RequestParts) -> MalformedCase? {
        guard let nest = parts.nestOffsets.randomElement(using: &random) else { return nil }
        let seq = sequence()
        var body = parts.attributes
        let nestLength = Int(body[nest]) | Int(body[nest + 1]) << 8
        let inner = nest + 4
        let innerLength = Int(body[inner]) | Int(body[inner + 1]) << 8
        body.storeUInt16(UInt16(nestLength - 4 + ((innerLength + 3) & ~3) - innerLength + Int.random(in: 4...64, using: &random)),
                         at: inner)
        return MalformedCase(category: "nested attribute overflowing its nest", datagram: parts.encoded(sequence: seq, attributes: body),
                             sequences: [seq], expectation: .refused([EINVAL]))
    }

    /// A family id nothing is registered with here.
    mutating func wrongFamily(_ parts: RequestParts) -> MalformedCase {
        let seq = sequence()
        var wrong = parts
        repeat {
            wrong.type = [17, 18, UInt16.random(in: 19...0xFFFF, using: &random)].randomElement(using: &random) ?? 17
        } while wrong.type == familyID
        return MalformedCase(category: "wrong family id", datagram: wrong.encoded(sequence: seq),
                             sequences: [seq], expectation: .refused([ENOENT]))
    }

    /// A command the family does not serve: 0, a notification's, or past
    /// the last.
    mutating func unknownCommand(_ parts: RequestParts) -> MalformedCase {
        let seq = sequence()
        var wrong = parts
        if parts.type == familyID {
            // Commands without an operation are notifications: the family sends them, never takes them.
            let notifications = SubdevCommand.allCases.map(\.rawValue).filter { subdevFamilyPolicy.operations[$0] == nil }
            let pastTheLast = (SubdevCommand.allCases.map(\.rawValue).max() ?? 0) + 1
            let choices: [UInt8] = [0, UInt8.random(in: pastTheLast...255, using: &random)] + notifications
            wrong.command = choices.randomElement(using: &random) ?? 0
        } else {
            // nlctrl serves getfamily (3) and getpolicy (10); 1 is its newfamily notification.
            wrong.command = [0, 1, 2, 4, UInt8.random(in: 11...255, using: &random)].randomElement(using: &random) ?? 0
        }
        return MalformedCase(category: "unknown command", datagram: wrong.encoded(sequence: seq),
                             sequences: [seq], expectation: .refused([EOPNOTSUPP]))
    }

    /// A case already made, with flag bits no request defines: unknown
    /// flags change nothing, so the answer is the same.
    mutating func withUnknownFlags(_ base: MalformedCase) -> MalformedCase {
        var datagram = base.datagram
        let seq = sequence()
        var sequences = base.sequences
        if datagram.count >= 16, !sequences.isEmpty {
            let bits = (0..<Int.random(in: 1...3, using: &random)).reduce(UInt16(0)) { flags, _ in
                flags | (Self.unknownFlagBits.randomElement(using: &random) ?? 0x40)
            }
            let flags = (UInt16(datagram[6]) | UInt16(datagram[7]) << 8) | bits
            datagram.storeUInt16(flags, at: 6)
            datagram.replaceSubrange(8..<12, with: withUnsafeBytes(of: seq.littleEndian, Array.init))
            sequences = [seq]
        }
        return MalformedCase(category: "unknown flags", datagram: datagram, sequences: sequences, expectation: base.expectation)
    }

    /// Messages of 16 KiB, 64 KiB and about 200 KiB (what a default
    /// socket may send): a name far past its limit, and thousands of
    /// parameters.
    mutating func oversize() -> [MalformedCase] {
        guard let devNew = seeds.first(where: { $0.name == "dev-new-swq" })?.parts else { return [] }
        var cases: [MalformedCase] = []
        for size in [16 * 1024, 65_000] {
            let seq = sequence()
            var body = devNew.attributes
            var name = AttributeEncoder()
            name.put(SubdevDevAttr.name, String(repeating: "n", count: size))
            body += name.bytes
            cases.append(MalformedCase(category: "oversize message", datagram: devNew.encoded(sequence: seq, attributes: body),
                                       sequences: [seq], expectation: .refused([EINVAL, ERANGE])))
        }
        let seq = sequence()
        var params = AttributeEncoder()
        params.append(encoded: devNew.attributes)
        for index in 0..<7_000 {
            params.nest(SubdevDevAttr.param) { nest in
                nest.put(SubdevParamAttr.name, "p\(index)")
                nest.put(SubdevParamAttr.valueInt, UInt64(index))
            }
        }
        cases.append(MalformedCase(category: "oversize message", datagram: devNew.encoded(sequence: seq, attributes: params.bytes),
                                   sequences: [seq], expectation: .refused([EINVAL, ERANGE, E2BIG])))
        return cases
    }

    /// Dump requests whose filter attributes have the wrong type: a
    /// string as a u32 or a u64, a string given again as a nest, a
    /// string past its limit. In the parent, type and dev sets alike,
    /// attribute 1 is bus-name and 2 dev-name.
    mutating func wrongFilterTypes() -> [MalformedCase] {
        var cases: [MalformedCase] = []
        for name in ["parent-dump", "type-dump", "dev-dump"] {
            guard var parts = seeds.first(where: { $0.name == name })?.parts else { continue }
            parts.flags = MessageFlags([.request, .dump]).rawValue
            for filter in 0..<4 {
                var attributes = AttributeEncoder()
                switch filter {
                case 0: attributes.put(UInt16(1), UInt32(0x4142_4344))  // bus-name as a u32: no NUL anywhere
                case 1:
                    attributes.put(UInt16(1), "pci")
                    attributes.put(UInt16(2), UInt64(0x3132_3334_3536_3738))  // dev-name as a u64: no NUL anywhere
                case 2:
                    attributes.put(UInt16(1), "pci")
                    attributes.put(UInt16(2), "0000:6a:01.0")
                    attributes.nest(UInt16(2)) { $0.put(UInt16(1), "x") }  // dev-name twice, as a nest
                default:
                    attributes.put(UInt16(1), [UInt8](repeating: 0x41, count: 300).map { String(UnicodeScalar($0)) }.joined())
                }
                let seq = sequence()
                cases.append(MalformedCase(category: "dump filter of the wrong type",
                                           datagram: parts.encoded(sequence: seq, attributes: attributes.bytes),
                                           sequences: [seq], expectation: .refused([EINVAL])))
            }
        }
        return cases
    }
}
