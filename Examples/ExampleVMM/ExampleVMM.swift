import ArgumentParser
import Foundation
import Subdev
import SubdevUAPI
import SubdevVMM

/// An example VMM on the SubdevVMM SDK: it holds the subdevices it is
/// given, plays a guest, and answers what the model asks, logging one JSON
/// object per line on stdout. Tests drive every event flow through it;
/// Docs/vmm-integration.md walks through this code.
@main
struct ExampleVMM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subdev-vmm-example",
        abstract: "Hold subdevices as a VMM would, and answer remove requests, AER errors and hotplug requests.",
        discussion: """
        Logs JSON lines on stdout: held, ready (all held), remove-request, unplug-started, \
        released, revoked, aer, paused, answered, not-answering, answer-refused, restored, \
        resumed, hotplug, gone, exit, and error when it cannot start. Exits when it holds \
        nothing any more.
        """)

    @Option(name: .long, help: ArgumentHelp("Netlink port of the model (default: $SUBDEV_NL_PORT, else the model's).", valueName: "id"))
    var port: String?

    @Argument(help: ArgumentHelp("Subdevices to hold: PARENT/INDEX or name.", valueName: "dev"))
    var devices: [String]

    @Option(name: .long, help: ArgumentHelp("Milliseconds the guest takes to unplug a device after the first remove request.", valueName: "ms"))
    var unplugMs: UInt32 = 200

    @Flag(name: .long, help: "Ignore remove requests: the guest never unplugs (a deadline or force then revokes the device).")
    var ignoreRemoval = false

    @Option(name: .long, help: ArgumentHelp("Answer to AER error-detected: recovered, need-reset, disconnect, or none (never answer).", valueName: "answer"))
    var aerAnswer: String = "need-reset"

    @Option(name: .long, help: ArgumentHelp("Milliseconds the guest takes to pause (quiesce DMA) before answering an AER error.", valueName: "ms"))
    var aerPauseMs: UInt32 = 20

    func validate() throws {
        guard aerAnswer == "none" || SubdevAerResult(name: aerAnswer) != nil else {
            throw ValidationError("--aer-answer is recovered, need-reset, disconnect or none, not \(aerAnswer)")
        }
        guard !devices.isEmpty else { throw ValidationError("give at least one subdevice to hold") }
    }

    func run() async throws {
        let log = JSONLog()
        let client: SubdevClient
        var held: [HeldDevice] = []
        do {
            let peer = try port.map { text -> UInt32 in
                guard let value = SubdevClient.parsePort(text) else { throw ValidationError("--port \(text) is not a netlink port id") }
                return value
            }
            client = try await SubdevClient.connect(port: peer)
            for text in devices {
                guard let handle = DeviceHandle(parsing: text) else { throw ValidationError("\(text) is not a subdevice handle") }
                let device = try await HeldDevice.open(handle, client: client)
                held.append(device)
                log.write("held", device.device, ["vfio": device.device.vfio?.index ?? 0, "node": device.path])
            }
        } catch {
            log.write("error", nil, ["message": "\(error)"])
            throw ExitCode.failure
        }
        log.write("ready", nil, ["pid": Int(getpid()), "devices": held.count])
        let guest = Guest(unplug: Duration.milliseconds(Int64(unplugMs)), ignoreRemoval: ignoreRemoval,
                          aerAnswer: SubdevAerResult(name: aerAnswer), pause: Duration.milliseconds(Int64(aerPauseMs)), log: log)
        await withTaskGroup(of: Void.self) { group in
            for device in held {
                group.addTask { await guest.serve(device) }
            }
        }
        log.write("exit", nil, [:])
    }
}

/// The guest's side of each held device: what it does with each event.
struct Guest: Sendable {
    let unplug: Duration
    let ignoreRemoval: Bool
    /// `nil`: never answer, so the model disconnects it at the timeout.
    let aerAnswer: SubdevAerResult?
    let pause: Duration
    let log: JSONLog

    /// Handles `device`'s events until its connection closes.
    func serve(_ device: HeldDevice) async {
        var unplugging = false
        var revoked = false
        await withTaskGroup(of: Void.self) { work in
            for await event in device.events {
                switch event {
                case .removeRequest(let request):
                    log.write("remove-request", device.device, ["counter": request.counter ?? 0, "seq": request.sequence])
                    // The guest unplugs once, however often it is asked.
                    guard !ignoreRemoval, !unplugging else { continue }
                    unplugging = true
                    log.write("unplug-started", device.device, ["unplug-ms": JSONLog.milliseconds(unplug)])
                    work.addTask {
                        try? await Task.sleep(for: unplug)
                        device.release()
                    }
                case .revoke(let revoke):
                    revoked = true
                    log.write("revoked", device.device, ["reason": revoke.reason ?? "", "seq": revoke.sequence])
                case .aer(let error):
                    log.write("aer", device.device, ["stage": error.stage.name, "severity": error.severity.name,
                                                     "channel": error.channelState.name, "seq": error.sequence])
                    switch error.stage {
                    case .errorDetected:
                        work.addTask { await answer(error, on: device) }
                    case .reset:
                        log.write("restored", device.device, [:])
                    case .resumed:
                        log.write("resumed", device.device, [:])
                    case .correctable, .failed:
                        break
                    }
                case .hotplug(let request):
                    log.write("hotplug", device.device, ["action": request.action.name, "stage": request.stage.name,
                                                         "seq": request.sequence])
                case .resynchronised:
                    break
                }
            }
        }
        log.write(revoked ? "gone" : "released", device.device, [:])
    }

    /// Pauses the guest's use of the device, then answers the error.
    private func answer(_ error: AEREvent, on device: HeldDevice) async {
        log.write("paused", device.device, [:])
        try? await Task.sleep(for: pause)
        guard let aerAnswer else {
            log.write("not-answering", device.device, [:])
            return
        }
        // Logged before the answer goes out: the recovery's next events
        // may arrive before the acknowledgement is read.
        log.write("answered", device.device, ["result": aerAnswer.name])
        do {
            try await device.answer(error, with: aerAnswer)
        } catch {
            log.write("answer-refused", device.device, ["message": "\(error)"])
        }
    }
}

/// One JSON object per line on stdout, each written whole.
struct JSONLog: Sendable {
    let start = ContinuousClock.now

    func write(_ event: String, _ device: DeviceInfo?, _ fields: [String: any Sendable]) {
        var object: [String: Any] = ["event": event]
        object["ms"] = Self.milliseconds(ContinuousClock.now - start)
        if let device { object["dev"] = "\(device.parent)/\(device.index)" }
        for (key, value) in fields { object[key] = value }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
