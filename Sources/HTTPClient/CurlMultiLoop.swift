import CCurl
import Foundation
import Synchronization

/// The one thread that drives libcurl's multi interface for every client in the process: requests are
/// multiplexed on it, connections are pooled by it, and no thread is spent per request. Other threads
/// talk to it only through `submit`, which queues a command and wakes `curl_multi_poll`.
final class CurlMultiLoop: @unchecked Sendable {
    enum Command: Sendable {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case resume(CurlTransfer)
    }

    static let shared = CurlMultiLoop()
    static let maxIdleConnections = 128

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex<[Command]>([])
    /// Curl-thread only.
    private var active: [ObjectIdentifier: CurlTransfer] = [:]

    private init() {
        _ = ccurl_global_init()
        guard let multi = curl_multi_init() else {
            fatalError("libcurl could not create a multi handle; the process cannot make HTTP requests")
        }
        self.multi = multi
        // libcurl sizes its idle-connection cache from the transfers active at the moment, so after a
        // burst it closes connections that the next request would have reused. A fixed pool keeps them.
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, Self.maxIdleConnections)
        let thread = Thread { [self] in run() }
        thread.name = "curl-multi"
        thread.start()
    }

    func submit(_ command: Command) {
        inbox.withLock { $0.append(command) }
        curl_multi_wakeup(multi)
    }

    private func run() {
        var running: Int32 = 0
        var ready: Int32 = 0
        while true {
            let commands = inbox.withLock { queued in
                defer { queued.removeAll(keepingCapacity: true) }
                return queued
            }
            for command in commands { handle(command) }
            curl_multi_perform(multi, &running)
            collectFinished()
            let waitMilliseconds = expireIdleTransfers()
            curl_multi_poll(multi, nil, 0, Int32(waitMilliseconds), &ready)
        }
    }

    private func handle(_ command: Command) {
        switch command {
        case .add(let transfer):
            if transfer.cancelRequested {
                transfer.finish(.cancelled)
                return
            }
            transfer.lastActivity = .now
            let code = curl_multi_add_handle(multi, transfer.easy)
            guard code == CURLM_OK else {
                transfer.finish(.transport(code: Int(code.rawValue), host: transfer.host, detail: String(cString: curl_multi_strerror(code))))
                return
            }
            active[ObjectIdentifier(transfer)] = transfer
        case .cancel(let transfer):
            if active[ObjectIdentifier(transfer)] != nil {
                end(transfer, .cancelled)
            } else if !transfer.isDone {
                transfer.cancelRequested = true  // the add is still queued behind this command
            }
        case .resume(let transfer):
            guard active[ObjectIdentifier(transfer)] != nil else { return }
            transfer.lastActivity = .now
            curl_easy_pause(transfer.easy, 0 /* CURLPAUSE_CONT */)
        }
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            var opaque: UnsafeMutableRawPointer?
            _ = ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &opaque)
            guard let opaque else { continue }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(opaque).takeUnretainedValue()
            let result = ccurl_message_result(message)
            end(transfer, result == CURLE_OK ? nil : transfer.failure(for: result))
        }
    }

    /// Fails transfers silent for longer than their idle timeout (a paused transfer is waiting on its
    /// reader, not on the server, so it is exempt) and returns how long the poll may sleep.
    private func expireIdleTransfers() -> Int {
        var waitMilliseconds = 60_000
        let now = ContinuousClock.now
        for transfer in active.values {
            guard let idle = transfer.idleTimeout, !transfer.body.isPaused else { continue }
            let deadline = transfer.lastActivity + idle
            if deadline <= now {
                end(transfer, .timeout(.idle, host: transfer.host, after: idle))
            } else {
                waitMilliseconds = min(waitMilliseconds, (deadline - now).milliseconds)
            }
        }
        return max(waitMilliseconds, 1)
    }

    private func end(_ transfer: CurlTransfer, _ error: HTTPClientError?) {
        if active.removeValue(forKey: ObjectIdentifier(transfer)) != nil {
            curl_multi_remove_handle(multi, transfer.easy)
        }
        transfer.finish(error)
    }
}
