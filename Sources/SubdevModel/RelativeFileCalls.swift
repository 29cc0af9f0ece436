#if canImport(Glibc)
import Glibc
#endif

/// The `*at` system calls that the device nodes and the sysfs mirror make
/// on every `dev-new` and `dev-del`, taking Swift strings.
///
/// A `String` passed straight to a C function's `const char *` parameter
/// is copied into a new array on the heap for the call: about 220
/// instructions and a free each time, by callgrind, four to six times a
/// create. `withCString` lends a native string's own bytes, and copies a
/// short one (the names these calls take: `vfio0`, `subdev.3`) onto the
/// stack. Each returns what the system call returns; `errno` is left as
/// the call set it.
enum RelativeFileCalls {
    static func rename(_ fromDirectory: Int32, _ from: String, _ toDirectory: Int32, _ to: String) -> Int32 {
        from.withCString { from in to.withCString { renameat(fromDirectory, from, toDirectory, $0) } }
    }

    /// A hard link: `name` in `toDirectory` for what `existing` in `fromDirectory` is.
    static func link(_ fromDirectory: Int32, _ existing: String, _ toDirectory: Int32, _ name: String) -> Int32 {
        existing.withCString { existing in name.withCString { linkat(fromDirectory, existing, toDirectory, $0, 0) } }
    }

    static func unlink(_ directory: Int32, _ name: String, flags: Int32 = 0) -> Int32 {
        name.withCString { unlinkat(directory, $0, flags) }
    }

    static func symlink(_ target: String, _ directory: Int32, _ name: String) -> Int32 {
        target.withCString { target in name.withCString { symlinkat(target, directory, $0) } }
    }
}
