import Foundation
import KubeAPI
import Testing

/// Timestamps as apimachinery writes and reads them (k8s.io/apimachinery/pkg/apis/meta/v1/time.go and
/// micro_time.go): `metav1.Time` with `time.RFC3339` (whole seconds on output), `metav1.MicroTime` with
/// `RFC3339Micro` = "2006-01-02T15:04:05.000000Z07:00", exactly six fractional digits both ways.
@Suite struct KubeTimeTests {
    let instant = Date(timeIntervalSince1970: 1_796_310_648.635_25)  // 2026-12-03T15:10:48.63525Z

    @Test func microTimeHasExactlySixFractionalDigits() {
        #expect(KubeTime.formatMicro(instant) == "2026-12-03T15:10:48.635250Z")
        #expect(KubeTime.formatMicro(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(KubeTime.isMicroTime(KubeTime.formatMicro(Date())))
    }

    @Test func timeHasWholeSeconds() {
        #expect(KubeTime.format(instant) == "2026-12-03T15:10:48Z")
        #expect(KubeTime.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
    }

    @Test(arguments: [
        ("2026-12-03T15:10:48.635250Z", true), ("2026-12-03T15:10:48.635250+02:00", true),
        ("2026-12-03T15:10:48.635Z", false), ("2026-12-03T15:10:48Z", false), ("2026-12-03T15:10:48.635250123Z", false),
        ("2026-12-03 15:10:48.635250Z", false), ("", false),
    ])
    func microTimeParsesLikeGo(text: String, valid: Bool) {
        #expect(KubeTime.isMicroTime(text) == valid)
    }

    @Test func timeAcceptsFractionsAndOffsetsLikeGo() {
        // Go's time.Parse takes a fractional second after the seconds field even when the layout has none.
        #expect(KubeTime.isTime("2026-12-03T15:10:48.635Z"))
        #expect(KubeTime.isTime("2026-12-03T15:10:48+02:00"))
        #expect(!KubeTime.isTime("2026-12-03T15:10:48"))
        #expect(KubeTime.parse("2026-12-03T17:10:48.5+02:00") == Date(timeIntervalSince1970: 1_796_310_648.5))
    }
}
