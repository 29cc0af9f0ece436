import Netlink

/// A memo of the last subdevice decoded for each parent, kept by the
/// client from one batch to the next.
///
/// A batch often takes its parents in turn. Made afresh for each batch,
/// a batch of 2 000 over 1 000 parents decoded half its replies in full
/// and made a template from each (about 16 k instructions a create more
/// than in one batch of 20 000, by callgrind); kept, only a parent's
/// first reply ever is. A memo answers only from bytes equal to those
/// it was made from, so one kept for any time is as right as a new one.
struct ParentMemos {
    /// Parents remembered at most, each a few hundred bytes: past it the
    /// memos start over, which costs decoding, never correctness.
    static let limit = 4096

    private var memos: [ParentHandle: DeviceMemo] = [:]

    /// How many parents have a memo.
    var count: Int { memos.count }

    /// `reply`, a subdevice of `parent`, decoded with that parent's memo.
    mutating func device(_ reply: NetlinkMessage, of parent: ParentHandle) throws -> DeviceInfo {
        if memos.count >= Self.limit, memos[parent] == nil { memos.removeAll() }
        return try ObjectDecoding.device(reply, memo: &memos[parent, default: DeviceMemo(remembering: true)])
    }
}
