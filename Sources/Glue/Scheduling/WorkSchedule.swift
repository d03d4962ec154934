import Foundation

/// `--uptime` / `--downtime` (seed 003): when the glue takes tasks. Each entry is `<hours> [<days>]`, hours
/// `17-20` (from 17:00 to 20:00) or `9` (that hour), days `TUE`, `MON-FRI` or `SAT,SUN` (all days if left
/// out), in the glue's local time. Outside its uptime (or inside its downtime) the glue takes no new task;
/// pods already running are not touched.
public struct WorkSchedule: Sendable, Equatable {
    public enum Mode: Sendable, Equatable { case uptime, downtime }

    struct Window: Sendable, Equatable {
        var hours: Range<Int>
        var days: Set<Int>  // 1 = Sunday ... 7 = Saturday, as Calendar counts them
    }

    public let mode: Mode
    let windows: [Window]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(mode: Mode, entries: [String]) throws(ParseError) {
        self.mode = mode
        let flag = mode == .uptime ? "--uptime" : "--downtime"
        var windows: [Window] = []
        for entry in entries {
            let words = entry.split(separator: " ").map(String.init)
            guard (1...2).contains(words.count), let hours = Self.hours(words[0]) else {
                throw ParseError(description: "\(flag) '\(entry)': use '<hours> [<days>]', e.g. '17-20 TUE' or '9-17 MON-FRI'")
            }
            var days = Set(1...7)
            if words.count == 2 {
                guard let parsed = Self.days(words[1]) else {
                    throw ParseError(description: "\(flag) '\(entry)': days are SUN..SAT, a range like MON-FRI or a list like SAT,SUN")
                }
                days = parsed
            }
            windows.append(Window(hours: hours, days: days))
        }
        self.windows = windows
    }

    /// Whether the glue may take tasks at `date`.
    public func allowsWork(at date: Date, calendar: Calendar = .current) -> Bool {
        let hour = calendar.component(.hour, from: date)
        let day = calendar.component(.weekday, from: date)
        let inside = windows.contains { $0.hours.contains(hour) && $0.days.contains(day) }
        return mode == .uptime ? inside : !inside
    }

    static func hours(_ text: String) -> Range<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        if parts.count == 1, let hour = parts[0], (0..<24).contains(hour) { return hour..<(hour + 1) }
        guard parts.count == 2, let start = parts[0], let end = parts[1], (0..<24).contains(start), (1...24).contains(end), start < end else { return nil }
        return start..<end
    }

    static func days(_ text: String) -> Set<Int>? {
        var result: Set<Int> = []
        for item in text.uppercased().split(separator: ",") {
            let ends = item.split(separator: "-").map { dayNames.firstIndex(of: String($0)).map { $0 + 1 } }
            guard (1...2).contains(ends.count), let first = ends[0], let last = ends[ends.count - 1] else { return nil }
            var day = first
            while true {
                result.insert(day)
                if day == last { break }
                day = day % 7 + 1
            }
        }
        return result.isEmpty ? nil : result
    }
}
