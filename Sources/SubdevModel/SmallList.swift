/// A list whose first element is kept inline, and only the rest in an
/// array: what a handler answers is nearly always one reply and one
/// notification, and an array for each was an allocation and a free
/// per request (about 400 instructions each, by callgrind).
///
/// Reads as a sequence in the order appended; written with `append`, `+=`
/// or an array literal (which makes its own array: for cold paths).
struct SmallList<Element>: Sequence, ExpressibleByArrayLiteral {
    private var first: Element?
    private var rest: [Element] = []

    init() {}

    /// A list of one, with no array.
    init(_ element: Element) {
        first = element
    }

    init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    init(arrayLiteral elements: Element...) {
        self.init(elements)
    }

    var isEmpty: Bool { first == nil }

    var count: Int { first == nil ? 0 : 1 + rest.count }

    mutating func append(_ element: Element) {
        if first == nil { first = element } else { rest.append(element) }
    }

    static func += (list: inout SmallList, other: SmallList) {
        for element in other { list.append(element) }
    }

    struct Iterator: IteratorProtocol {
        fileprivate var first: Element?
        fileprivate var rest: IndexingIterator<[Element]>

        mutating func next() -> Element? {
            if let element = first {
                first = nil
                return element
            }
            return rest.next()
        }
    }

    func makeIterator() -> Iterator {
        Iterator(first: first, rest: rest.makeIterator())
    }

    var underestimatedCount: Int { count }
}
