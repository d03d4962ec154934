import Foundation

/// The glue's `--gpus` value, read as upstream clearml-agent's daemon reads it (clearml_agent/interface/worker.py:
/// "Examples: --gpus 0 or --gpu 0,1,2 or --gpus all"; worker.py turns it into docker `--gpus device=...` or
/// `NVIDIA_VISIBLE_DEVICES`). A pod cannot pick device indexes, so a list becomes its length: the number of
/// GPUs each task pod asks the scheduler for.
public enum GPUSelection: Sendable, Equatable {
    /// `N`, `0,1`, `0-3`, `0:0,0:1` (MIG slices): this many GPUs per task pod.
    case count(Int)
    /// `all`: every GPU the node's runtime exposes (`NVIDIA_VISIBLE_DEVICES=all`); the scheduler reserves none.
    case all
    /// `none` (what upstream's `--cpu-only` amounts to): no GPU, `NVIDIA_VISIBLE_DEVICES=none`.
    case none

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws(Invalid) -> GPUSelection {
        let value = text.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        switch value.lowercased() {
        case "all": return .all
        case "none": return .none
        default: break
        }
        var total = 0
        for entry in value.split(separator: ",", omittingEmptySubsequences: false) {
            let part = entry.trimmingCharacters(in: .whitespaces)
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low >= 0, high >= low {
                total += high - low + 1
            } else if bounds.count == 1, isDevice(part) {
                total += 1
            } else {
                throw Invalid(description: "--gpus '\(text)': give device indexes as upstream does (0, 0,1, 0-3, 0:0,0:1 for MIG slices), all, or use --cpu-only")
            }
        }
        return .count(total)
    }

    /// `3` or a MIG slice `0:1` / `0.1`.
    private static func isDevice(_ part: String) -> Bool {
        let pieces = part.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "." })
        return !pieces.isEmpty && pieces.count <= 2 && pieces.allSatisfy { Int($0).map { $0 >= 0 } ?? false }
    }
}
