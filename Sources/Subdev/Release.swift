import SubdevUAPI

/// This release of the subdev tools, as `-V` prints it.
public enum SubdevRelease {
    public static let version = "0.8.0"

    /// `NAME 0.8.0 (family subdev version 1)`.
    public static func banner(_ program: String) -> String {
        "\(program) \(version) (family subdev version \(subdevFamilyVersion))"
    }
}
