/// Whether this replica may act (launch, fail, delete). Always open without leader election.
public actor LeadershipGate {
    private var leading: Bool
    private let electing: Bool

    public init(electing: Bool) {
        self.electing = electing
        leading = !electing
    }

    public func mayLaunch() -> Bool { leading }
    func set(_ value: Bool) { leading = value }
    public var isElecting: Bool { electing }
}
