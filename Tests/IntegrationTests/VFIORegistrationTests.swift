import Foundation
import XCTest
import Netlink
import Subdev

/// Subdevices as VFIO devices in the model: device nodes a VMM connects
/// to, the sysfs-style tree, holders, process-bound subdevices.
final class VFIORegistrationTests: XCTestCase {
    let dsa = ParentHandle(bus: "pci", name: "0000:6a:01.0")
    let gpu = ParentHandle(bus: "pci", name: "0000:3b:00.0")

    func next(_ iterator: inout ConfigNotifications.Iterator, timeout: Double = 5) async throws -> ConfigNotification? {
        try await nextMessage(&iterator, timeout: timeout)
    }

    func testNodeSysfsHoldersAndAHolderKilled() async throws {
        let holderProgram = try Fixtures.build("holder", for: self)
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let notifications = try client.configNotifications()
        defer { notifications.cancel() }
        var events = notifications.makeAsyncIterator()

        let device = try await client.createDevice(parent: dsa, type: "dwq", name: "vm0",
                                                   node: NodeAccessInfo(uid: 0, gid: 100, mode: 0o660))
        _ = try await next(&events)
        let node = try XCTUnwrap(device.vfio?.devNode)
        XCTAssertEqual(node, "\(model.root)/dev/vfio/devices/vfio0")
        let attributes = try FileManager.default.attributesOfItem(atPath: node)
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeSocket)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o660)
        XCTAssertEqual((attributes[.groupOwnerAccountID] as? NSNumber)?.intValue, 100)

        // sysfs: the class link leads to the device, whose files say what it is.
        let classLink = "\(model.root)/sys/class/vfio-dev/vfio0"
        let vfioDirectory = try XCTUnwrap(device.vfio?.sysfsPath)
        XCTAssertEqual(URL(fileURLWithPath: classLink).resolvingSymlinksInPath().path, "\(vfioDirectory)/vfio-dev/vfio0")
        XCTAssertEqual(try String(contentsOfFile: "\(classLink)/uevent", encoding: .utf8), "DEVNAME=vfio/devices/vfio0\n")
        XCTAssertEqual(try String(contentsOfFile: "\(vfioDirectory)/type", encoding: .utf8), "dwq\n")
        XCTAssertEqual(try String(contentsOfFile: "\(vfioDirectory)/pasid", encoding: .utf8), "\(device.vfio?.pasid ?? 0)\n")
        XCTAssertEqual(try String(contentsOfFile: "\(vfioDirectory)/reserved_regions", encoding: .utf8),
                       "0x00000000fee00000 0x00000000feefffff msi\n")
        let busLink = "\(model.root)/sys/bus/pci/devices/0000:6a:01.0/subdev.0/type"
        XCTAssertEqual(try String(contentsOfFile: busLink, encoding: .utf8), "dwq\n", "the bus link leads to the parent")
        XCTAssertEqual(device.vfio?.registration, .emulatedIommu)
        XCTAssertEqual(device.vfio?.reservedIOVA, [IOVARangeInfo(start: 0xFEE0_0000, end: 0xFEEF_FFFF, kind: "msi")])

        // A holder connects: dev-get lists it, and config says so.
        let (holder, line) = try startWaitingForLine(holderProgram.path, [node])
        XCTAssertEqual(line, "held")
        let held = try await next(&events)
        guard case .changed(let heldState)? = held else { return XCTFail("expected a change, got \(String(describing: held))") }
        XCTAssertEqual(heldState.reason, "process \(holder.processIdentifier) opened the device")
        let listed = try await client.device(.name("vm0")).holders
        XCTAssertEqual(listed, [HolderInfo(pid: UInt32(holder.processIdentifier), uid: 0, gid: 0)])

        // SIGKILL: the kernel closes its socket, and the model lets go at once.
        kill(holder.processIdentifier, SIGKILL)
        let released = try await next(&events)
        guard case .changed(let releasedState)? = released else { return XCTFail("expected a change, got \(String(describing: released))") }
        XCTAssertEqual(releasedState.reason, "holder \(holder.processIdentifier) released the device")
        XCTAssertEqual(releasedState.holders, [])
        let after = try await client.device(.name("vm0")).holders
        XCTAssertEqual(after, [])

        // Delete: node and sysfs entries disappear.
        try await client.deleteDevice(.name("vm0"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: node))
        XCTAssertFalse(FileManager.default.fileExists(atPath: vfioDirectory))
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: classLink))
        waitForExit(holder)
    }

    func testAProcessWithoutAccessIsRefused() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to run the holder as uid 65534")
        }
        let holderProgram = try Fixtures.build("holder", for: self)
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let closed = try await client.createDevice(parent: dsa, type: "dwq")
        let open = try await client.createDevice(parent: dsa, type: "dwq", node: NodeAccessInfo(uid: 65534, gid: 65534, mode: 0o600))
        let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", holderProgram.path]
        let refused = try runProcess("/usr/bin/setpriv", nobody + [try XCTUnwrap(closed.vfio?.devNode)])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stdout, "refused: Permission denied\n")
        let refusedHolders = try await client.device(closed.handle).holders
        XCTAssertEqual(refusedHolders, [])
        // The node chowned to nobody lets nobody in.
        let (holder, line) = try startWaitingForLine("/usr/bin/setpriv", nobody + [try XCTUnwrap(open.vfio?.devNode)])
        defer {
            kill(holder.processIdentifier, SIGKILL)
            waitForExit(holder)
        }
        XCTAssertEqual(line, "held")
        let holders = try await heldBy(open.handle, client)
        XCTAssertEqual(holders.map(\.uid), [65534])
    }

    func testADownSubdeviceCannotBeHeld() async throws {
        let holderProgram = try Fixtures.build("holder", for: self)
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let device = try await client.createDevice(parent: dsa, type: "dwq", adminState: .down)
        let (holder, _) = try startWaitingForLine(holderProgram.path, [try XCTUnwrap(device.vfio?.devNode)])
        defer {
            kill(holder.processIdentifier, SIGKILL)
            waitForExit(holder)
        }
        // The model closes the connection at once; the device stays unheld.
        try await Task.sleep(nanoseconds: 100_000_000)
        let holders = try await client.device(device.handle).holders
        XCTAssertEqual(holders, [])
        try await client.setDevice(device.handle, adminState: .up)
        let (second, line) = try startWaitingForLine(holderProgram.path, [try XCTUnwrap(device.vfio?.devNode)])
        defer {
            kill(second.processIdentifier, SIGKILL)
            waitForExit(second)
        }
        XCTAssertEqual(line, "held")
        let held = try await heldBy(device.handle, client)
        XCTAssertEqual(held.map(\.pid), [UInt32(second.processIdentifier)])
    }

    func testARootThatIsNotTheModelsIsRefused() throws {
        let host = try runProduct("subdevd", ["--port", "1", "--root", "/"])
        XCTAssertEqual(host.status, 1)
        XCTAssertTrue(host.stderr.hasPrefix("Error: root / already has "), host.stderr)
        XCTAssertTrue(host.stderr.hasSuffix("which subdevd did not make; give another --root\n"), host.stderr)
        let model = try ModelProcess.start()
        defer { model.stop() }
        let second = try runProduct("subdevd", ["--port", "2", "--root", model.root])
        XCTAssertEqual(second.status, 1)
        XCTAssertEqual(second.stderr, "Error: root \(model.root) is in use by subdevd process \(model.process.processIdentifier); give another --root\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(model.root)/sys/devices"), "the first model's tree is untouched")
    }

    func testOwnedSubdeviceGoesWithItsCreator() async throws {
        let creator = try Fixtures.build("owned-creator", libnl: true, for: self)
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let notifications = try client.configNotifications()
        defer { notifications.cancel() }
        var events = notifications.makeAsyncIterator()
        let before = try await client.parent(gpu).counters

        let stdin = Pipe()
        let (process, line) = try startWaitingForLine(creator.path, [String(model.port), "pci", "0000:3b:00.0", "A40-8Q"], stdin: stdin)
        XCTAssertEqual(line, "created")
        let created = try await next(&events)
        guard case .created(let device)? = created else { return XCTFail("expected a creation, got \(String(describing: created))") }
        XCTAssertEqual(device.ownerPID, UInt32(process.processIdentifier))
        let holding = try await client.parent(gpu).counters
        XCTAssertNotEqual(holding, before, "the vGPU holds framebuffer")

        // The creator exits: the subdevice goes, and config says why.
        try stdin.fileHandleForWriting.close()
        waitForExit(process)
        let deleted = try await next(&events)
        guard case .deleted(let last)? = deleted else { return XCTFail("expected a deletion, got \(String(describing: deleted))") }
        XCTAssertEqual(last.handle, device.handle)
        XCTAssertEqual(last.reason, "owner process \(process.processIdentifier) exited")
        let devices = try await client.devices()
        XCTAssertEqual(devices, [])
        let counters = try await client.parent(gpu).counters
        XCTAssertEqual(counters, before, "its framebuffer returned")
        XCTAssertFalse(FileManager.default.fileExists(atPath: device.vfio?.devNode ?? "/"))
    }

    func testOwnedNeedsALivingCreator() async throws {
        // The client library process itself owns it: it lives on, so does the subdevice.
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let device = try await client.createDevice(parent: dsa, type: "dwq", owned: true)
        XCTAssertEqual(device.ownerPID, UInt32(getpid()))
        let listed = try await client.device(device.handle)
        XCTAssertEqual(listed.ownerPID, UInt32(getpid()))
    }

    /// A subdevice whose device node cannot be made is not created: the
    /// error names the node, and the table, the parent's counters and its
    /// generation are as they were, so the next create takes the same
    /// index and `vfioN`.
    func testARegistrationThatFailsLeavesNothingBehind() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let before = try await client.parent(dsa)
        // A directory, with something in it, where vfio0's node must go.
        let blocked = "\(model.root)/dev/vfio/devices/vfio0"
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(blocked)/inside", contents: Data("x".utf8)))
        do {
            _ = try await client.createDevice(parent: dsa, type: "dwq")
            XCTFail("dev-new made a subdevice whose node is a directory")
        } catch let error as NetlinkError {
            XCTAssertTrue(error.message?.contains("vfio0") == true, "the error names the node: \(error)")
        }
        let devices = try await client.devices()
        XCTAssertEqual(devices, [])
        let after = try await client.parent(dsa)
        XCTAssertEqual(after.counters, before.counters, "nothing stays reserved")
        XCTAssertEqual(after.deviceCount, 0)
        XCTAssertEqual(after.generation, before.generation, "the capacity never changed")

        try FileManager.default.removeItem(atPath: blocked)
        let made = try await client.createDevice(parent: dsa, type: "dwq")
        XCTAssertEqual(made.index, 0)
        XCTAssertEqual(made.vfio?.index, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: blocked))
    }

    func testVFIONumbersAreReusedLowestFirst() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        var devices: [DeviceInfo] = []
        for type in ["dwq", "dwq", "dwq"] { devices.append(try await client.createDevice(parent: dsa, type: type)) }
        devices.append(try await client.createDevice(parent: gpu, type: "A40-8Q"))
        XCTAssertEqual(devices.map { $0.vfio?.index }, [0, 1, 2, 3])
        try await client.deleteDevice(devices[1].handle)
        try await client.deleteDevice(devices[0].handle)
        let first = try await client.createDevice(parent: gpu, type: "A40-8Q")
        let second = try await client.createDevice(parent: dsa, type: "dwq")
        XCTAssertEqual([first.vfio?.index, second.vfio?.index], [0, 1], "freed numbers are reused, lowest first, across parents")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(model.root)/dev/vfio/devices/vfio0"))
    }

    /// What subdevices show alike is one file linked into each directory;
    /// what is a subdevice's own (its name, its PASID, its vfio entries)
    /// is a file of its own. Either way it reads the same, and a delete
    /// leaves the others' files as they were.
    func testSharedAttributesAreLinkedAndReadTheSame() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let first = try await client.createDevice(parent: dsa, type: "dwq")
        let second = try await client.createDevice(parent: dsa, type: "dwq", name: "vm1")
        let firstDirectory = try XCTUnwrap(first.vfio?.sysfsPath), secondDirectory = try XCTUnwrap(second.vfio?.sysfsPath)
        for file in ["type", "registration", "reserved_regions"] {
            let a = try status("\(firstDirectory)/\(file)"), b = try status("\(secondDirectory)/\(file)")
            XCTAssertEqual(a.st_ino, b.st_ino, "\(file) is one file, linked")
            XCTAssertGreaterThanOrEqual(a.st_nlink, 3, "\(file): the kept copy and two links")
            XCTAssertEqual(a.st_mode & 0o777, 0o444, "\(file) is read-only, as sysfs shows it")
        }
        for file in ["name", "pasid", "uevent"] {
            XCTAssertEqual(try status("\(secondDirectory)/\(file)").st_nlink, 1, "\(file) of a named subdevice is its own")
        }
        XCTAssertEqual(try String(contentsOfFile: "\(firstDirectory)/type", encoding: .utf8), "dwq\n")
        XCTAssertEqual(try String(contentsOfFile: "\(firstDirectory)/index", encoding: .utf8), "0\n")
        XCTAssertEqual(try String(contentsOfFile: "\(secondDirectory)/index", encoding: .utf8), "1\n")
        XCTAssertEqual(try String(contentsOfFile: "\(firstDirectory)/name", encoding: .utf8), "\n")
        XCTAssertEqual(try String(contentsOfFile: "\(secondDirectory)/name", encoding: .utf8), "vm1\n")
        XCTAssertEqual(try String(contentsOfFile: "\(secondDirectory)/uevent", encoding: .utf8),
                       "SUBDEV_TYPE=dwq\nSUBDEV_INDEX=1\nSUBDEV_NAME=vm1\n")

        try await client.deleteDevice(first.handle)
        XCTAssertFalse(FileManager.default.fileExists(atPath: firstDirectory))
        XCTAssertEqual(try String(contentsOfFile: "\(secondDirectory)/type", encoding: .utf8), "dwq\n")
        let walked = FileManager.default.enumerator(atPath: "\(model.root)/sys")?.allObjects as? [String] ?? []
        XCTAssertFalse(walked.contains { $0.contains(".sysfs-contents") }, "the kept copies are not in the sysfs tree")
        XCTAssertFalse(walked.contains { $0.contains(".sysfs-recycled") }, "the directory kept to recycle is not in the sysfs tree")

        // A subdevice made again at the same index links the same file.
        let again = try await client.createDevice(parent: dsa, type: "dwq")
        XCTAssertEqual(try String(contentsOfFile: "\(try XCTUnwrap(again.vfio?.sysfsPath))/index", encoding: .utf8), "0\n")
        model.stop()
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(model.root)/.sysfs-contents"), "the model takes its kept copies when it stops")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(model.root)/.sysfs-recycled"), "and the directories it kept to recycle")
    }

    /// `stat` of `path`, or of a link itself when not `following` it.
    private func status(_ path: String, following: Bool = true) throws -> stat {
        var result = stat()
        guard (following ? stat(path, &result) : lstat(path, &result)) == 0 else {
            throw NSError(domain: "stat \(path)", code: Int(errno))
        }
        return result
    }

    /// Every entry below `directory`, by its path relative to it: a
    /// directory, a link and its target, or a file, its mode and contents,
    /// with `root` written as ROOT.
    private func snapshot(_ directory: String, root: String) throws -> [String: String] {
        var entries: [String: String] = [:]
        let manager = FileManager.default
        for case let path as String in manager.enumerator(atPath: directory)?.allObjects ?? [] {
            let full = "\(directory)/\(path)"
            let status = try status(full, following: false)
            switch status.st_mode & S_IFMT {
            case S_IFDIR: entries[path] = "directory"
            case S_IFLNK: entries[path] = "link to \(try manager.destinationOfSymbolicLink(atPath: full))"
            default:
                let text = try String(contentsOfFile: full, encoding: .utf8).replacingOccurrences(of: root, with: "ROOT")
                entries[path] = String(status.st_mode & 0o777, radix: 8) + " " + text
            }
        }
        return entries
    }

    /// A subdevice that takes the directory a deleted one left (another
    /// parent, type, index, name, vfioN, and no PASID where it had one)
    /// shows exactly what a model making it anew shows.
    func testARecycledDirectoryShowsWhatANewOneWould() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let first = try await client.createDevice(parent: dsa, type: "dwq")
        let second = try await client.createDevice(parent: dsa, type: "dwq", name: "vm1")
        XCTAssertEqual([first.vfio?.index, second.vfio?.index], [0, 1])
        let secondInode = try status(try XCTUnwrap(second.vfio?.sysfsPath)).st_ino
        try await client.deleteDevice(first.handle)
        try await client.deleteDevice(second.handle)
        // Takes the directory kept last, second's: vfio1, index 1, a name and a PASID.
        let recycled = try await client.createDevice(parent: gpu, type: "A40-8Q")
        let recycledDirectory = try XCTUnwrap(recycled.vfio?.sysfsPath)
        XCTAssertEqual(try status(recycledDirectory).st_ino, secondInode, "the directory the second subdevice left is the one used again")
        // And then first's, kept as it was.
        let again = try await client.createDevice(parent: dsa, type: "dwq")

        let fresh = try ModelProcess.start()
        defer { fresh.stop() }
        let freshClient = try await SubdevClient.connect(port: fresh.port)
        let made = try await freshClient.createDevice(parent: gpu, type: "A40-8Q")
        let madeAgain = try await freshClient.createDevice(parent: dsa, type: "dwq")

        XCTAssertEqual([recycled.vfio?.index, again.vfio?.index], [made.vfio?.index, madeAgain.vfio?.index])
        let expected = try snapshot(try XCTUnwrap(made.vfio?.sysfsPath), root: fresh.root)
        XCTAssertEqual(expected["vfio-dev/vfio0/dev_node"], "444 ROOT/dev/vfio/devices/vfio0\n")
        XCTAssertNil(expected["pasid"], "the vGPU has no PASID")
        XCTAssertEqual(try snapshot(recycledDirectory, root: model.root), expected)
        // PASIDs are not reused at once, so the two models gave different ones.
        var shown = try snapshot(try XCTUnwrap(again.vfio?.sysfsPath), root: model.root)
        var madeShown = try snapshot(try XCTUnwrap(madeAgain.vfio?.sysfsPath), root: fresh.root)
        XCTAssertEqual(shown.removeValue(forKey: "pasid"), "444 \(try XCTUnwrap(again.vfio?.pasid))\n")
        XCTAssertNotNil(madeShown.removeValue(forKey: "pasid"))
        XCTAssertEqual(shown, madeShown)
        for vfio in [0, 1] {
            XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: "\(model.root)/sys/class/vfio-dev/vfio\(vfio)"),
                           try FileManager.default.destinationOfSymbolicLink(atPath: "\(fresh.root)/sys/class/vfio-dev/vfio\(vfio)"))
        }
    }

    /// A deleted subdevice's node is kept, out of reach, for the next one
    /// with its N, which gets it with its own owner and mode; no one who
    /// reached the kept node holds the new subdevice.
    func testANodeIsKeptForTheNextSubdeviceWithItsNumber() async throws {
        let holderProgram = try Fixtures.build("holder", for: self)
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let first = try await client.createDevice(parent: dsa, type: "dwq")
        let node = try XCTUnwrap(first.vfio?.devNode)
        let inode = try status(node, following: false).st_ino
        try await client.deleteDevice(first.handle)
        XCTAssertFalse(FileManager.default.fileExists(atPath: node))

        let store = "\(model.root)/dev/.vfio-recycled"
        XCTAssertEqual(try status(store).st_mode & 0o777, 0o700, "only root reaches a kept node")
        let kept = "\(store)/vfio0"
        XCTAssertEqual(try status(kept, following: false).st_ino, inode)
        let walked = FileManager.default.enumerator(atPath: "\(model.root)/dev/vfio")?.allObjects as? [String] ?? []
        XCTAssertEqual(walked.sorted(), ["devices"], "no node is left in dev/vfio")
        // Root can reach the kept node; the model closes the connection.
        let (intruder, intruderLine) = try startWaitingForLine(holderProgram.path, [kept])
        XCTAssertEqual(intruderLine, "held")
        waitForExit(intruder)
        XCTAssertFalse(intruder.isRunning, "the model closes a connection to a kept node")

        let second = try await client.createDevice(parent: gpu, type: "A40-8Q", node: NodeAccessInfo(uid: 65534, gid: 100, mode: 0o660))
        XCTAssertEqual(second.vfio?.devNode, node)
        let taken = try status(node, following: false)
        XCTAssertEqual(taken.st_ino, inode, "the kept node is the one used again")
        XCTAssertEqual(taken.st_mode & S_IFMT, S_IFSOCK)
        XCTAssertEqual([taken.st_uid, taken.st_gid, taken.st_mode & 0o777], [65534, 100, 0o660])
        // The store keeps its name for the node, a second one, so that the
        // next removal only unlinks the public name.
        XCTAssertEqual(try status(kept, following: false).st_ino, inode)
        XCTAssertEqual(taken.st_nlink, 2)
        let walkedAgain = FileManager.default.enumerator(atPath: "\(model.root)/dev/vfio")?.allObjects as? [String] ?? []
        XCTAssertEqual(walkedAgain.sorted(), ["devices", "devices/vfio0"])
        let heldBefore = try await client.device(second.handle).holders
        XCTAssertEqual(heldBefore, [])

        let (holder, line) = try startWaitingForLine(holderProgram.path, [node])
        defer {
            kill(holder.processIdentifier, SIGKILL)
            waitForExit(holder)
        }
        XCTAssertEqual(line, "held")
        let holders = try await heldBy(second.handle, client)
        XCTAssertEqual(holders.map(\.pid), [UInt32(holder.processIdentifier)])

        // Another N makes a node of its own; the model takes the store when it stops.
        let third = try await client.createDevice(parent: dsa, type: "dwq")
        XCTAssertNotEqual(try status(try XCTUnwrap(third.vfio?.devNode), following: false).st_ino, inode)
        try await client.deleteDevice(third.handle)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(store)/vfio1"))
        // A node kept before goes from the public name only, and comes back again.
        kill(holder.processIdentifier, SIGKILL)
        waitForExit(holder)
        for _ in 0..<50 where try await !client.device(second.handle).holders.isEmpty {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        try await client.deleteDevice(second.handle)
        XCTAssertFalse(FileManager.default.fileExists(atPath: node))
        XCTAssertEqual(try status(kept, following: false).st_nlink, 1)
        let fourth = try await client.createDevice(parent: dsa, type: "dwq")
        XCTAssertEqual(fourth.vfio?.devNode, node)
        XCTAssertEqual(try status(node, following: false).st_ino, inode)
        model.stop()
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "the model takes the kept nodes when it stops")
    }

    /// A subdevice made again with the same N, parent and index gets the
    /// class link kept from the last one; any other gets a link of its
    /// own, with its own target.
    func testAClassLinkIsKeptForTheSameSubdeviceAgain() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let link = "\(model.root)/sys/class/vfio-dev/vfio0"
        let kept = "\(model.root)/.sysfs-class-links/vfio0"
        func target() throws -> String { try FileManager.default.destinationOfSymbolicLink(atPath: link) }

        let first = try await client.createDevice(parent: dsa, type: "dwq")
        let firstTarget = try target()
        XCTAssertEqual(firstTarget, "../../devices/pci0000:6a/0000:6a:01.0/subdev.0/vfio-dev/vfio0")
        try await client.deleteDevice(first.handle)
        XCTAssertFalse(FileManager.default.fileExists(atPath: link))
        let keptInode = try status(kept, following: false).st_ino

        let again = try await client.createDevice(parent: dsa, type: "dwq")
        XCTAssertEqual(again.vfio?.index, 0)
        XCTAssertEqual(try target(), firstTarget)
        XCTAssertEqual(try status(link, following: false).st_ino, keptInode, "the kept link is linked back")
        XCTAssertEqual(try status(link, following: false).st_mode & S_IFMT, S_IFLNK)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(link)/dev_node"), "it reaches the subdevice's vfio-dev/vfio0")
        try await client.deleteDevice(again.handle)
        XCTAssertFalse(FileManager.default.fileExists(atPath: link))
        XCTAssertEqual(try status(kept, following: false).st_nlink, 1)

        let other = try await client.createDevice(parent: gpu, type: "A40-8Q")
        XCTAssertEqual(other.vfio?.index, 0)
        XCTAssertEqual(try target(), "../../devices/pci0000:3b/0000:3b:00.0/subdev.0/vfio-dev/vfio0")
        XCTAssertNotEqual(try status(link, following: false).st_ino, keptInode)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: kept), firstTarget, "the kept link is unchanged")
        try await client.deleteDevice(other.handle)
        XCTAssertFalse(FileManager.default.fileExists(atPath: link))
        model.stop()
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(model.root)/.sysfs-class-links"), "the model takes the kept links when it stops")
    }

    /// A file left at a node's path (by a model that crashed) does not stop
    /// the subdevice: the node takes its place.
    func testANodeReplacesWhatWasLeftAtItsPath() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        let path = "\(model.root)/dev/vfio/devices/vfio0"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("left behind".utf8)))
        let device = try await client.createDevice(parent: dsa, type: "dwq")
        XCTAssertEqual(device.vfio?.devNode, path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeSocket)
        // Root's and 0600 by default, as the request asked nothing else.
        XCTAssertEqual((attributes[.ownerAccountID] as? NSNumber)?.intValue, 0)
        XCTAssertEqual((attributes[.groupOwnerAccountID] as? NSNumber)?.intValue, 0)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let (holder, line) = try startWaitingForLine(try Fixtures.build("holder", for: self).path, [path])
        XCTAssertEqual(line, "held", "the node is the model's, and answers")
        kill(holder.processIdentifier, SIGKILL)
        waitForExit(holder)
    }

    func testNoUUIDAnywhere() async throws {
        let model = try ModelProcess.start()
        defer { model.stop() }
        let client = try await SubdevClient.connect(port: model.port)
        _ = try await client.createDevice(parent: dsa, type: "dwq", name: "vm0")
        _ = try await client.createDevice(parent: gpu, type: "A40-8Q")
        _ = try await client.createDevice(parent: dsa, type: "swq-slice")
        let uuid = try NSRegularExpression(pattern: "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
        func assertNoUUID(_ text: String, _ where_: String) {
            let range = NSRange(text.startIndex..., in: text)
            XCTAssertNil(uuid.firstMatch(in: text, range: range), "a UUID in \(where_): \(text)")
        }
        for arguments in [["-j", "dev", "show"], ["dev", "show"], ["-j", "type", "show"], ["-j", "parent", "show"]] {
            let result = try runProduct("subdev", ["--port", String(model.port)] + arguments)
            XCTAssertEqual(result.status, 0)
            assertNoUUID(result.stdout, "subdev \(arguments.joined(separator: " "))")
        }
        let tree = FileManager.default.enumerator(atPath: model.root)
        var files = 0
        while let path = tree?.nextObject() as? String {
            assertNoUUID(path, "the path \(path)")
            if let text = try? String(contentsOfFile: "\(model.root)/\(path)", encoding: .utf8) {
                assertNoUUID(text, path)
                files += 1
            }
        }
        XCTAssertGreaterThan(files, 10, "the sysfs-style tree was read")
    }
}
