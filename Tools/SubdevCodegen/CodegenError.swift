/// Why a spec cannot be turned into the generated files.
///
/// Every error names the spec element at fault, as a path such as
/// `attribute-sets[dev].attributes[name].checks.max-len`, so that the message
/// alone says what to fix.
public struct CodegenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: String, Equatable, Sendable {
        /// The text is not YAML, or not a spec shaped as the schema says.
        case malformed
        /// A `checks` bound names a const that the spec does not define.
        case unknownConst
        /// An attribute's `enum` names an enum the spec does not define.
        case unknownEnum
        /// A `nested-attributes` or `attribute-set` names a set the spec does not define.
        case unknownAttributeSet
        /// A request or reply names an attribute its set does not have.
        case unknownAttribute
        /// A `notify` names an operation the spec does not define.
        case unknownOperation
        /// An `mcgrp` names a group the spec does not define.
        case unknownMulticastGroup
        /// Two elements share a name or a value where they must not.
        case duplicate
        /// A value does not fit where it is used, or a bound is inconsistent.
        case invalidValue
        /// A valid YNL feature that this generator does not implement.
        case unsupported
        /// Reading or writing a file failed.
        case io
    }

    /// The class of problem.
    public var kind: Kind
    /// The spec element at fault, such as `operations[dev-new].do.request`.
    public var element: String
    /// What is wrong with it.
    public var message: String

    public init(_ kind: Kind, _ element: String, _ message: String) {
        self.kind = kind
        self.element = element
        self.message = message
    }

    public var description: String {
        element.isEmpty ? message : "\(element): \(message)"
    }
}
