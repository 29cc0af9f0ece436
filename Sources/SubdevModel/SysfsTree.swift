import Foundation
import SubdevPlugin

/// A sysfs-style tree below the model's root, so that a tool walking sysfs
/// finds subdevices as it would find VFIO devices:
///
/// ```
/// sys/bus/pci/devices/0000:6a:01.0 -> ../../../devices/pci0000:6a/0000:6a:01.0
/// sys/devices/pci0000:6a/0000:6a:01.0/subdev.3/{uevent,type,name,index,registration,pasid,reserved_regions}
/// sys/devices/pci0000:6a/0000:6a:01.0/subdev.3/vfio-dev/vfio5/{uevent,dev_node}
/// sys/class/vfio-dev/vfio5 -> ../../devices/pci0000:6a/0000:6a:01.0/subdev.3/vfio-dev/vfio5
/// sys/kernel/iommu_groups/50/reserved_regions (whole-function types: subdev.N/iommu_group links here)
/// ```
///
/// Attribute files are read-only (0444), one value per file, as sysfs has them.
struct SysfsTree {
    let root: ModelRoot

    /// Creates the parents' directories and their bus links.
    func addParents(_ parents: [Parent]) throws {
        for parent in parents {
            let directory = root.parentDirectory(bus: parent.bus, name: parent.name)
            try makeDirectory(directory)
            try attribute("\(directory)/uevent", "DRIVER=\(parent.plugin.driver)\nSUBDEV_PARENT=\(parent.handle)\n")
            try link(root.join("sys/bus/\(parent.bus)/devices/\(parent.name)"), to: directory)
        }
    }

    /// Removes a parent's directory and bus link (a hotplug removal).
    func removeParent(_ parent: Parent) {
        try? FileManager.default.removeItem(atPath: root.join("sys/bus/\(parent.bus)/devices/\(parent.name)"))
        try? FileManager.default.removeItem(atPath: root.parentDirectory(bus: parent.bus, name: parent.name))
    }

    /// Creates the subdevice's directory, its VFIO device and class link.
    func add(_ device: Subdevice, parent: Parent, registration: Registration) throws {
        let directory = root.deviceDirectory(bus: parent.bus, name: parent.name, index: device.index)
        try? FileManager.default.removeItem(atPath: directory)
        try makeDirectory(directory)
        let vfio = "\(directory)/vfio-dev/vfio\(device.vfioIndex)"
        try makeDirectory(vfio)
        try attribute("\(directory)/uevent", "SUBDEV_TYPE=\(device.typeName)\nSUBDEV_INDEX=\(device.index)\n"
                      + (device.name.map { "SUBDEV_NAME=\($0)\n" } ?? ""))
        try attribute("\(directory)/type", "\(device.typeName)\n")
        try attribute("\(directory)/name", "\(device.name ?? "")\n")
        try attribute("\(directory)/index", "\(device.index)\n")
        try attribute("\(directory)/registration", "\(registration.rawValue)\n")
        try attribute("\(directory)/reserved_regions", Self.reservedRegions(parent.reservedIOVA))
        if let pasid = device.pasid { try attribute("\(directory)/pasid", "\(pasid)\n") }
        if registration == .iommuGroup {
            let group = root.join("sys/kernel/iommu_groups/\(parent.iommuGroup)")
            try makeDirectory(group)
            try attribute("\(group)/reserved_regions", Self.reservedRegions(parent.reservedIOVA))
            try link("\(directory)/iommu_group", to: group)
        }
        try attribute("\(vfio)/uevent", "DEVNAME=vfio/devices/vfio\(device.vfioIndex)\n")
        try attribute("\(vfio)/dev_node", "\(root.devNode(device.vfioIndex))\n")
        try link(root.join("sys/class/vfio-dev/vfio\(device.vfioIndex)"), to: vfio)
    }

    /// Removes what `add` made.
    func remove(_ device: Subdevice, parent: Parent) {
        try? FileManager.default.removeItem(atPath: root.join("sys/class/vfio-dev/vfio\(device.vfioIndex)"))
        try? FileManager.default.removeItem(atPath: root.deviceDirectory(bus: parent.bus, name: parent.name, index: device.index))
    }

    /// The kernel's reserved_regions format: start, end, kind per line.
    static func reservedRegions(_ ranges: [IOVARange]) -> String {
        ranges.map { "\(hex($0.start)) \(hex($0.end)) \($0.kind)\n" }.joined()
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    private func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    private func attribute(_ path: String, _ contents: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o444]) else {
            throw ModelRootError("cannot write \(path)")
        }
    }

    /// A relative symbolic link at `path` to `target`, as sysfs makes them.
    private func link(_ path: String, to target: String) throws {
        try makeDirectory((path as NSString).deletingLastPathComponent)
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: Self.relative(target, from: (path as NSString).deletingLastPathComponent))
    }

    static func relative(_ target: String, from directory: String) -> String {
        let to = target.split(separator: "/"), from = directory.split(separator: "/")
        var common = 0
        while common < min(to.count, from.count), to[common] == from[common] { common += 1 }
        return (Array(repeating: "..", count: from.count - common) + to[common...].map(String.init)).joined(separator: "/")
    }
}
