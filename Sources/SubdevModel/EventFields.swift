import SubdevUAPI

/// What one event says: the parent, the subdevice if it concerns one, and
/// the attributes of its kind (remove request, revoke, AER, hotplug).
struct EventFields {
    var parent: Parent
    var device: Subdevice?
    var holders: [Holder] = []
    var counter: UInt32?
    var deadlineLeft: UInt32?
    var reason: String?
    var severity: SubdevAerSeverity?
    var channel: SubdevChannelState?
    var aerStage: SubdevAerStage?
    var timeout: UInt32?
    var hotplugAction: SubdevHotplugAction?
    var hotplugStage: SubdevHotplugStage?
    var window: UInt32?
    var aerStats: AERStats?
}
