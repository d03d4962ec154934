import Foundation

/// Timestamps exactly as apimachinery writes and parses them. `metav1.Time` marshals with Go's
/// `time.RFC3339` (whole seconds, `2006-01-02T15:04:05Z07:00`); `metav1.MicroTime` (Lease
/// `acquireTime`/`renewTime`, Event `eventTime`) with `RFC3339Micro` (`2006-01-02T15:04:05.000000Z07:00`),
/// and unmarshals with that same layout, so a MicroTime with three fractional digits is a 400 on a real
/// API server (k8s.io/apimachinery/pkg/apis/meta/v1/micro_time.go, `UnmarshalJSON`).
public enum KubeTime {
    /// Reads any RFC 3339 timestamp (with or without fractional seconds), for what servers send.
    public static func parse(_ text: String) -> Date? {
        guard let parts = Parts(text) else { return nil }
        return parts.date
    }

    /// `metav1.Time`: whole seconds in UTC.
    public static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return civil(seconds) + "Z"
    }

    /// `metav1.MicroTime`: exactly six fractional digits in UTC.
    public static func formatMicro(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        return civil(seconds) + "." + pad(Int(fraction), 6) + "Z"
    }

    /// True when `text` parses with Go's `RFC3339Micro` layout as `time.Parse` applies it: exactly six
    /// fractional digits, then `Z` or a `±hh:mm` offset.
    public static func isMicroTime(_ text: String) -> Bool {
        guard let parts = Parts(text) else { return false }
        return parts.fractionDigits == 6
    }

    /// True when `text` parses with Go's `time.RFC3339` layout. Go accepts fractional seconds after the
    /// seconds field even when the layout has none, so `metav1.Time` takes any number of digits.
    public static func isTime(_ text: String) -> Bool { Parts(text) != nil }

    private static func civil(_ seconds: Int64) -> String {
        // Days since the epoch to a proleptic Gregorian date (Howard Hinnant's algorithm).
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// The fields of `YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm)`.
    private struct Parts {
        var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var fractionDigits = 0
        var offsetSeconds = 0

        init?(_ text: String) {
            let bytes = Array(text.utf8)
            var index = 0
            func number(_ width: Int) -> Int? {
                guard index + width <= bytes.count else { return nil }
                var value = 0
                for byte in bytes[index..<index + width] {
                    guard byte >= 0x30, byte <= 0x39 else { return nil }
                    value = value * 10 + Int(byte - 0x30)
                }
                index += width
                return value
            }
            func expect(_ character: UInt8) -> Bool {
                guard index < bytes.count, bytes[index] == character else { return false }
                index += 1
                return true
            }
            guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
                  index < bytes.count, bytes[index] == 0x54 || bytes[index] == 0x74 else { return nil }
            index += 1
            guard let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A), let second = number(2) else { return nil }
            guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
            (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
            if index < bytes.count, bytes[index] == 0x2E {
                index += 1
                var scale = 0.1
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    fraction += Double(bytes[index] - 0x30) * scale
                    scale /= 10
                    fractionDigits += 1
                    index += 1
                }
                guard fractionDigits > 0 else { return nil }
            }
            guard index < bytes.count else { return nil }
            if bytes[index] == 0x5A || bytes[index] == 0x7A {
                index += 1
            } else if bytes[index] == 0x2B || bytes[index] == 0x2D {
                let sign = bytes[index] == 0x2D ? -1 : 1
                index += 1
                guard let hours = number(2), expect(0x3A), let minutes = number(2), hours < 24, minutes < 60 else { return nil }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
            } else {
                return nil
            }
            guard index == bytes.count else { return nil }
        }

        var date: Date {
            // Days from civil (Howard Hinnant's algorithm), then seconds.
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yoe = y - era * 400
            let mp = month > 2 ? month - 3 : month + 9
            let doy = (153 * mp + 2) / 5 + day - 1
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            let days = era * 146_097 + doe - 719_468
            let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds)
            return Date(timeIntervalSince1970: seconds + fraction)
        }
    }
}
