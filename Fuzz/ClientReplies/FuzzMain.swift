import FuzzSupport
import Foundation
import Netlink
import SubdevUAPI

@main
struct FuzzMain {
    static func main() {
        FuzzTarget.main(tool: "subdev-fuzz-client", replayed: "the client survived them all", run: ClientRepliesFuzz.run,
                        seeds: ClientSeeds.all)
    }
}

/// The seed corpus: for each call, what a live model answers it with
/// (recorded through the fake family), and a notification and events for
/// the groups.
enum ClientSeeds {
    static func all() -> [(name: String, bytes: [UInt8])] {
        let session = ClientRepliesFuzz.current()
        let family = session.family
        let client = session.client
        var seeds: [(String, [UInt8])] = []
        // Reads first, then changes, so that each finds what it names.
        let order: [ClientRepliesFuzz.Call] = [.create, .createMany, .parents, .parent, .types, .type, .devices, .device,
                                               .set, .compat, .inject, .delete, .deleteMany]
        for call in order {
            family.answer(with: [], mode: .forwardToModel)
            wait { _ = try? await ClientRepliesFuzz.request(call, client) }
            let answer = family.recorded.reduce([], +)
            seeds.append(("\(call)", [UInt8(call.rawValue), FakeFamily.Mode.matchRequest.rawValue] + answer))
            if call == .create, let created = try? NetlinkMessage.parse(answer).first, var reply = try? GenericMessage(created) {
                reply.command = SubdevCommand.devNewNtf.rawValue
                seeds.append(("config-dev-new-ntf", [UInt8(ClientRepliesFuzz.Call.configGroup.rawValue), 0] + reply.encoded()))
            }
        }
        let events = ClientRepliesFuzz.Call.eventsGroup.rawValue
        seeds.append(("events-aer-ntf", [UInt8(events), 0] + aerEvent(sequence: 2, familyID: client.family.id)))
        // The largest sequence number, then the sentinel's: once a trap in
        // the subscription's gap check (last + 1), found by reading the code
        // the fuzzer runs.
        seeds.append(("events-last-sequence", [UInt8(events), 0] + aerEvent(sequence: .max, familyID: client.family.id)))
        seeds.append(("device-connection-aer-ntf", [UInt8(ClientRepliesFuzz.Call.deviceConnection.rawValue), 0]
                      + aerEvent(sequence: 2, familyID: client.family.id)))
        return seeds
    }

    /// An AER error-detected event on the subdevice "w".
    static func aerEvent(sequence: UInt64, familyID: UInt16) -> [UInt8] {
        var aer = AttributeEncoder()
        aer.put(SubdevEventAttr.seq, sequence)
        aer.put(SubdevEventAttr.busName, "pci")
        aer.put(SubdevEventAttr.devName, "0000:6a:01.0")
        aer.put(SubdevEventAttr.index, UInt32(0))
        aer.put(SubdevEventAttr.name, "w")
        aer.put(SubdevEventAttr.vfioIndex, UInt32(0))
        aer.put(SubdevEventAttr.severity, UInt8(SubdevAerSeverity.nonFatal.rawValue))
        aer.put(SubdevEventAttr.channelState, UInt8(SubdevChannelState.normal.rawValue))
        aer.put(SubdevEventAttr.aerStage, UInt8(SubdevAerStage.errorDetected.rawValue))
        aer.put(SubdevEventAttr.timeoutMs, UInt32(500))
        aer.put(SubdevEventAttr.holderPid, UInt32(1))
        return GenericMessage(family: familyID, command: SubdevCommand.aerNtf.rawValue,
                              version: UInt8(subdevFamilyVersion), attributes: aer.bytes).encoded()
    }
}
