import Netlink
import SubdevUAPI
#if canImport(Glibc)
import Glibc
#endif

/// AER: injected errors, the recovery handshake with the holders, and the
/// reset through the plugin, as the kernel's pcie_do_recovery runs a
/// driver's error_detected, slot_reset and resume.
extension FamilyHandlers {
    /// inject-aer: an error on a parent (each of its subdevices) or on one subdevice.
    mutating func injectAER(_ request: Request) throws -> HandlerOutput {
        let parentPosition = try locateParent(request, bus: SubdevEventAttr.busName, name: SubdevEventAttr.devName)
        let parent = machine.parents[parentPosition]
        let onDevice = request.attributes.has(SubdevEventAttr.index) || request.attributes.has(SubdevEventAttr.name)
        var targets = machine.devices(of: parent).map(\.vfioIndex)
        if onDevice {
            let position = try locateDevice(request, bus: SubdevEventAttr.busName, parent: SubdevEventAttr.devName,
                                            index: SubdevEventAttr.index, name: SubdevEventAttr.name)
            guard machine.devices[position].parentHandle == parent.handle else {
                throw NetlinkError(errno: EINVAL, message: "subdevice \(machine.devices[position].name ?? machine.devices[position].handle) is not on parent \(parent.handle)",
                                   offset: request.offset(of: SubdevEventAttr.name).map(UInt32.init))
            }
            targets = [machine.devices[position].vfioIndex]
        }
        guard let rawSeverity = try request.attributes.integer(SubdevEventAttr.severity, as: UInt8.self) else {
            throw request.missing(SubdevEventAttr.severity)
        }
        guard let severity = SubdevAerSeverity(rawValue: UInt32(rawSeverity)) else {
            throw NetlinkError(errno: EINVAL, message: "severity \(rawSeverity) is not correctable (0), non-fatal (1) or fatal (2)",
                               offset: request.offset(of: SubdevEventAttr.severity).map(UInt32.init))
        }
        let channel = try channelState(request, severity: severity)
        let timeout = try request.attributes.integer(SubdevEventAttr.timeoutMs, as: UInt32.self) ?? aerTimeoutMilliseconds
        if severity != .correctable, let busy = targets.first(where: { recoveries.isRecovering($0) }),
           let device = machine.devices.device(vfio: busy) {
            throw NetlinkError(errno: EBUSY, message: "\(device.handle) is still recovering from an earlier error")
        }

        if !onDevice { machine.countError(parent: parentPosition, severity) }
        var output = HandlerOutput()
        if targets.isEmpty {
            // Nothing to recover: the event reports the error on the parent.
            let stats = machine.parents[parentPosition].aerStats
            var fields = EventFields(parent: machine.parents[parentPosition], severity: severity, channel: channel, aerStats: stats)
            fields.aerStage = severity == .correctable ? .correctable : (channel == .permFailure ? .failed : .resumed)
            fields.reason = severity == .correctable ? "corrected by the hardware" : "no subdevices to recover"
            output.events.append(emit(.aerNtf, fields, to: []))
            return output
        }
        for vfio in targets {
            guard let position = machine.deviceIndex(vfio: vfio) else { continue }
            machine.countError(device: position, severity)
            output.append(report(position, severity: severity, channel: channel, timeout: timeout))
        }
        return output
    }

    /// The channel state a request gives, or the one its severity implies.
    private func channelState(_ request: Request, severity: SubdevAerSeverity) throws -> SubdevChannelState {
        guard let raw = try request.attributes.integer(SubdevEventAttr.channelState, as: UInt8.self) else {
            return severity == .fatal ? .frozen : .normal
        }
        let offset = request.offset(of: SubdevEventAttr.channelState).map(UInt32.init)
        guard let channel = SubdevChannelState(rawValue: UInt32(raw)) else {
            throw NetlinkError(errno: EINVAL, message: "channel-state \(raw) is not normal (0), frozen (1) or perm-failure (2)", offset: offset)
        }
        if severity == .correctable, channel != .normal {
            throw NetlinkError(errno: EINVAL, message: "a correctable error leaves the channel normal, not \(channel.name)", offset: offset)
        }
        if severity == .fatal, channel == .normal {
            throw NetlinkError(errno: EINVAL, message: "a fatal error freezes the channel: give frozen or perm-failure, not normal", offset: offset)
        }
        return channel
    }

    /// Reports an error to subdevice `position`'s holders and starts its recovery.
    private mutating func report(_ position: Int, severity: SubdevAerSeverity, channel: SubdevChannelState,
                                 timeout: UInt32) -> HandlerOutput {
        let device = machine.devices[position]
        let holders = registry.holders(device.vfioIndex)
        var fields = deviceFields(device, holders: holders)
        fields?.severity = severity
        fields?.channel = channel
        fields?.aerStats = device.aerStats
        var output = HandlerOutput()
        switch (severity, channel) {
        case (.correctable, _):
            fields?.aerStage = .correctable
            fields?.reason = "corrected by the hardware"
            output.events.append(emit(.aerNtf, fields, to: [device.vfioIndex]))
        case (_, .permFailure):
            fields?.aerStage = .failed
            fields?.reason = "the channel failed for good; the subdevice is removed"
            output.events.append(emit(.aerNtf, fields, to: [device.vfioIndex]))
            output.append(hardRemove(position, reason: "a \(severity.name) AER error failed the channel for good"))
        default:
            fields?.aerStage = .errorDetected
            fields?.timeout = timeout
            machine.setOperState(device: position, .error)
            registry.setOpenable(device.vfioIndex, false)
            output.events.append(emit(.aerNtf, fields, to: [device.vfioIndex]))
            recoveries.start(device.vfioIndex, sequence: eventSequence, severity: severity, channel: channel,
                             holders: holders, timeoutMilliseconds: timeout)
            let waiting = holders.isEmpty ? "nobody holds it" : "holders have \(timeout) ms to answer"
            output.notifications.append((.devChangeNtf, encodeDevice(machine.devices[position],
                                                                     reason: "\(severity.name) AER error detected; \(waiting)")))
        }
        return output
    }

    /// aer-answer over netlink: the sender's process must hold the subdevice.
    mutating func aerAnswer(_ request: Request) throws -> HandlerOutput {
        let position = try locateDevice(request, bus: SubdevEventAttr.busName, parent: SubdevEventAttr.devName,
                                        index: SubdevEventAttr.index, name: SubdevEventAttr.name)
        guard let pid = request.credentials?.pid, pid > 0 else {
            throw NetlinkError(errno: EINVAL, message: "aer-answer needs the sender's credentials, and the request came without them")
        }
        let device = machine.devices[position]
        guard registry.holders(device.vfioIndex).contains(where: { $0.pid == pid }) else {
            throw NetlinkError(errno: EPERM, message: "process \(pid) does not hold \(device.handle); only its holders answer its errors")
        }
        return try record(position, pid: pid, request)
    }

    /// aer-answer on a holder's device connection: the connection names
    /// the subdevice and the holder. The server acknowledges it, then
    /// calls `tick()`, so the holder reads its ack before the recovery's
    /// next events.
    mutating func answerOnConnection(vfio: UInt32, holder: Holder, _ request: Request) throws {
        guard let position = machine.deviceIndex(vfio: vfio) else {
            throw NetlinkError(errno: ENODEV, message: "vfio\(vfio) is gone")
        }
        _ = try record(position, pid: holder.pid, request)
    }

    private mutating func record(_ position: Int, pid: Int32, _ request: Request) throws -> HandlerOutput {
        let device = machine.devices[position]
        guard let sequence = try request.attributes.integer(SubdevEventAttr.seq, as: UInt64.self) else {
            throw request.missing(SubdevEventAttr.seq)
        }
        guard let raw = try request.attributes.integer(SubdevEventAttr.aerResult, as: UInt8.self) else {
            throw request.missing(SubdevEventAttr.aerResult)
        }
        guard let result = SubdevAerResult(rawValue: UInt32(raw)) else {
            throw NetlinkError(errno: EINVAL, message: "aer-result \(raw) is not recovered (0), need-reset (1) or disconnect (2)",
                               offset: request.offset(of: SubdevEventAttr.aerResult).map(UInt32.init))
        }
        try recoveries.answer(device.vfioIndex, handle: device.handle, pid: pid, sequence: sequence, result: result) {
            request.offset(of: $0).map(UInt32.init)
        }
        return HandlerOutput()
    }

    /// Ends the recovery of `vfio` once every holder answered or the time
    /// ran out: holders that answered disconnect, or nothing, are revoked;
    /// the subdevice is reset when the channel froze or a holder asked for
    /// it; then it resumes, or is removed when the reset fails.
    mutating func concludeRecovery(_ vfio: UInt32) -> HandlerOutput {
        guard let recovery = recoveries.finish(vfio),
              let position = machine.deviceIndex(vfio: vfio) else { return HandlerOutput() }
        var output = HandlerOutput()
        let cut = registry.holders(vfio).filter {
            recovery.asked.contains($0.pid) && (recovery.answers[$0.pid] ?? .disconnect) == .disconnect
        }
        if !cut.isEmpty {
            let silent = cut.filter { recovery.answers[$0.pid] == nil }.map { String($0.pid) }
            let reason = silent.isEmpty ? "answered disconnect to the AER error"
                : "did not answer the AER error within \(recovery.timeoutMilliseconds) ms (\(silent.joined(separator: ", ")))"
            let pids = Set(cut.map(\.pid))
            output.events.append(emit(.revokeNtf, deviceFields(machine.devices[position], holders: cut, reason: reason),
                                      to: [vfio], only: pids))
            registry.revoke(vfio, pids: pids)
            output.notifications.append((.devChangeNtf, encodeDevice(machine.devices[position],
                reason: "holders \(cut.map { String($0.pid) }.joined(separator: ", ")) revoked: \(reason)")))
        }
        let holders = registry.holders(vfio)
        func fields(_ stage: SubdevAerStage, reason: String? = nil) -> EventFields? {
            var fields = deviceFields(machine.devices[position], holders: holders, reason: reason)
            fields?.severity = recovery.severity
            fields?.channel = recovery.channel
            fields?.aerStage = stage
            fields?.aerStats = machine.devices[position].aerStats
            return fields
        }
        let reset = recovery.channel == .frozen || recovery.answers.values.contains(.needReset)
        if reset {
            do {
                try machine.reset(device: position)
            } catch {
                let message = (error as? NetlinkError)?.message ?? "\(error)"
                output.events.append(emit(.aerNtf, fields(.failed, reason: message), to: [vfio]))
                output.append(hardRemove(position, reason: "AER recovery failed: \(message)"))
                return output
            }
            output.events.append(emit(.aerNtf, fields(.reset, reason: "reset through plugin \(machine.parent(ofDevice: position)?.plugin.driver ?? "")"), to: [vfio]))
        }
        let device = machine.devices[position]
        let removing = removals.isRemoving(vfio)
        machine.setOperState(device: position, removing ? .removing : (device.adminState == .up ? .up : .down))
        registry.setOpenable(vfio, !removing && device.adminState == .up)
        output.events.append(emit(.aerNtf, fields(.resumed), to: [vfio]))
        output.notifications.append((.devChangeNtf, encodeDevice(machine.devices[position],
            reason: "recovered from a \(recovery.severity.name) AER error \(reset ? "after a reset" : "without a reset")")))
        return output
    }
}
