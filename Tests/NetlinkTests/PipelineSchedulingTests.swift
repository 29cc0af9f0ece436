import XCTest
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// A pipeline's thread waits under `SCHED_BATCH`, so that the answers it is
/// woken for do not preempt the peer, and is put back afterwards; a thread
/// under another policy is left as it is. Over real usersock sockets, to a
/// peer that acknowledges every request.
final class PipelineSchedulingTests: XCTestCase {
    /// `SCHED_OTHER`, `SCHED_BATCH` and `SCHED_IDLE` of sched(7), which Glibc's module does not export.
    static let other = 0, batch = 3, idle = 5

    /// The calling thread's scheduling policy: field 41 of `/proc/thread-self/stat`.
    static func threadPolicy() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        // Fields from the third (state) on follow the command's closing parenthesis.
        let fields = text[text.index(after: end)...].split(separator: " ")
        return fields.count > 41 - 3 ? Int(fields[41 - 3]) : nil
    }

    /// Runs a pipeline of `count` requests to a peer that acknowledges
    /// each, and returns the thread's policy before, at each answer, and after.
    static func policies(pipelining count: Int) throws -> (before: Int?, during: Set<Int?>, after: Int?) {
        let peer = try ConnectionTests.PackingPeer()
        let connection = try NetlinkConnection(protocol: .userSock, peerPort: peer.socket.localPort, timeout: 5)
        peer.serve(count)
        let before = threadPolicy()
        var during = Set<Int?>()
        var failures = 0
        try connection.pipeline(
            count: count, window: 8,
            writing: { _, batch in GenericMessage.writeRequest(family: 0x500, command: 1, version: 1, to: &batch) { _ in } },
            reply: { _, _ in },
            answered: { _, error in
                during.insert(threadPolicy())
                if error != nil { failures += 1 }
            })
        precondition(failures == 0, "the peer acknowledges every request")
        return (before, during, threadPolicy())
    }

    func testAPipelineWaitsUnderSCHEDBATCHAndPutsTheThreadBack() throws {
        guard Self.threadPolicy() == Self.other else {
            throw XCTSkip("the test thread runs under policy \(String(describing: Self.threadPolicy())), not SCHED_OTHER")
        }
        let seen = try Self.policies(pipelining: 20)
        XCTAssertEqual(seen.before, Self.other)
        XCTAssertEqual(seen.during, [Self.batch], "every answer is taken under SCHED_BATCH")
        XCTAssertEqual(seen.after, Self.other, "the thread is put back")
    }

    func testASingleRequestLeavesThePolicyAlone() throws {
        guard Self.threadPolicy() == Self.other else {
            throw XCTSkip("the test thread runs under policy \(String(describing: Self.threadPolicy())), not SCHED_OTHER")
        }
        let seen = try Self.policies(pipelining: 1)
        XCTAssertEqual(seen.during, [Self.other])
        XCTAssertEqual(seen.after, Self.other)
    }

    func testAThreadUnderAnotherPolicyIsLeftAsItIs() throws {
        // On a thread of its own: the test's thread is not moved to SCHED_IDLE.
        let outcome = OutcomeBox()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var parameter = sched_param()
            parameter.sched_priority = 0
            if sched_setscheduler(0, Int32(Self.idle), &parameter) != 0 {
                outcome.set(.failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM)))
            } else {
                outcome.set(Result { try Self.policies(pipelining: 20) })
            }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        let seen = try XCTUnwrap(outcome.value).get()
        XCTAssertEqual(seen.before, Self.idle)
        XCTAssertEqual(seen.during, [Self.idle], "a SCHED_IDLE thread is not moved to SCHED_BATCH")
        XCTAssertEqual(seen.after, Self.idle, "nor moved to SCHED_OTHER afterwards")
    }
}

/// What the thread of `testAThreadUnderAnotherPolicyIsLeftAsItIs` saw.
private final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<(before: Int?, during: Set<Int?>, after: Int?), Error>?
    var value: Result<(before: Int?, during: Set<Int?>, after: Int?), Error>? { lock.withLock { stored } }
    func set(_ value: Result<(before: Int?, during: Set<Int?>, after: Int?), Error>) { lock.withLock { stored = value } }
}
