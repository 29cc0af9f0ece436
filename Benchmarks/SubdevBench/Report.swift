import Foundation

/// One figure of the suite, beside the floor it is judged against.
struct Figure: Codable, Sendable {
    /// P1 ... P6, with a letter for a figure's parts.
    var id: String
    var what: String
    var value: Double
    var unit: String
    /// The reference measured in the same run, in the same unit, if any.
    var reference: Double?
    var referenceName: String?
    /// value / reference, when there is a reference.
    var ratio: Double?
    /// The target: at most this ratio (or, without a reference, this value).
    var target: Double?
    var met: Bool?

    init(_ id: String, _ what: String, value: Double, unit: String,
         reference: Double? = nil, referenceName: String? = nil, target: Double? = nil) {
        self.id = id
        self.what = what
        self.value = value
        self.unit = unit
        self.reference = reference
        self.referenceName = referenceName
        if let reference, reference > 0 { ratio = value / reference }
        self.target = target
        if let target { met = (ratio ?? value) <= target }
    }
}

/// Everything a run measured, with where it ran.
struct Report: Codable, Sendable {
    var mode: String
    var machine: String
    var floor: FloorFigures?
    var figures: [Figure] = []
    /// What limited a measurement, said once.
    var notes: [String] = []

    mutating func note(_ text: String) {
        notes.append(text)
        print("note: \(text)")
    }

    /// Whether figures are judged against their targets: not in a smoke,
    /// whose sizes are too small, usually on a debug build, for a ratio
    /// to say anything about the code.
    var judgesTargets: Bool { mode != "smoke" }

    mutating func add(_ figure: Figure) {
        var figure = figure
        if !judgesTargets { figure.met = nil }
        figures.append(figure)
        print(Self.row(figure))
    }

    static let header = columns("id", "figure", "value", "reference", "ratio", "target")

    /// One line of the table, each column padded to its width.
    static func columns(_ values: String...) -> String {
        let widths = [-5, -56, 14, 14, 10, 9]
        return zip(values, widths).map { value, width in
            let padding = String(repeating: " ", count: max(0, abs(width) - value.count))
            return width < 0 ? value + padding : padding + value
        }.joined(separator: " ")
    }

    static func row(_ figure: Figure) -> String {
        func number(_ value: Double?, _ unit: String) -> String {
            guard let value else { return "-" }
            return "\(format(value)) \(unit)"
        }
        let ratio = figure.ratio.map { String(format: "%.2fx", $0) } ?? "-"
        let target = figure.target.map { "≤" + format($0) + (figure.ratio != nil ? "x" : "") } ?? "-"
        let verdict = figure.met.map { $0 ? " ok" : " MISSED" } ?? ""
        return columns(figure.id, figure.what, number(figure.value, figure.unit), number(figure.reference, figure.unit),
                       ratio, target) + verdict
    }

    static func format(_ value: Double) -> String {
        if value >= 100 { return String(format: "%.0f", value) }
        if value >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }
}

/// The C floor program's output.
struct FloorFigures: Codable, Sendable {
    struct Sync: Codable, Sendable {
        var count: Int
        var median_ns: Double
        var p99_ns: Double
        var mean_ns: Double
        var min_ns: Double
    }
    struct Pipelined: Codable, Sendable {
        var count: Int
        var window: Int
        var per_op_ns: Double
    }
    /// Pairs of round trips to the family floor, each timed as one.
    struct Pairs: Codable, Sendable {
        var pairs: Int
        var median_ns: Double
        var p99_ns: Double
    }
    var sync: Sync
    var pipelined: Pipelined
    /// The same with the requesting process under `SCHED_BATCH`, as the
    /// Swift client waits for a pipeline's answers.
    var pipelined_batch: Pipelined?
    /// A family served from user space at its least: epoll_wait, recvmsg,
    /// and a sendmmsg of the notification and the ack per request.
    var family: Pairs?
    /// The same, with the file calls subdevd makes for a subdevice kept for reuse.
    var family_files: Pairs?
}
