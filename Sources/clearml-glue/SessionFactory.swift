import ClearMLAPI
import ClearMLConfig
import Foundation
import GlueCLI

extension GlobalOptions {
    /// The effective configuration for this invocation (flags < ... as documented in `config`), validated.
    func loadSettings() throws -> ClearMLSettings {
        let config = try ConfigLoader.forCurrentProcess(configFile: configFile).load()
        let settings = try ClearMLSettings(config)
        try settings.validate()
        return settings
    }

    /// A ClearML session from the configuration; errors say which setting to fix.
    /// - Parameter retry: how hard to try; an interactive command fails sooner than the controller.
    func makeSession(worker: String? = nil, retry: RetryPolicy = RetryPolicy()) throws -> ClearMLSession {
        let settings = try loadSettings()
        var configuration = try ClearMLSessionConfiguration(settings: settings, worker: worker ?? settings.agent.workerId)
        configuration.retry = retry
        return try ClearMLSession(configuration: configuration)
    }
}
