import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Pipe {
    /// Reads what the other end writes until `enough` holds for all of it,
    /// the writer closes its end, or `timeout` seconds pass; returns what
    /// was read by then.
    ///
    /// Waits with `poll`, so a line that never comes fails the test that
    /// asked for it with what did come, where `availableData` would block
    /// the whole run. Bytes are decoded as UTF-8 only to be checked, so a
    /// character split between two reads is whole when it is checked again.
    func read(until enough: (String) -> Bool, timeout: TimeInterval = 10) -> String {
        let descriptor = fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(timeout)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let text = String(decoding: bytes, as: UTF8.self)
            let remaining = deadline.timeIntervalSinceNow
            if enough(text) || remaining <= 0 { return text }
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, Int32(min(remaining * 1000, 1000).rounded(.up)))
            if ready < 0 && errno != EINTR { return text }
            if ready <= 0 { continue }
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return text }
            bytes += chunk[..<count]
        }
    }

    /// Reads until `count` whole lines came (or the writer closed, or
    /// `timeout` passed); returns what was read.
    func readLines(_ count: Int, timeout: TimeInterval = 10) -> String {
        read(until: { text in text.utf8.lazy.filter { $0 == UInt8(ascii: "\n") }.count >= count }, timeout: timeout)
    }
}
