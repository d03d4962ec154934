import Foundation
import Testing
@testable import Agent

@Suite struct ConsoleLinesTests {
    let t0 = ContinuousClock.now

    @Test func completeLinesPassAndCarriageReturnsKeepTheFinalRedraw() {
        var console = ConsoleLines()
        #expect(console.push(Data("a\nb\r\n".utf8), now: t0) == ["a", "b"])
        #expect(console.push(Data(" 10%\r 50%\r100%\n".utf8), now: t0) == ["100%"])
        #expect(console.push(Data("done\r   \r".utf8), now: t0).isEmpty)
        #expect(console.finish() == ["done"])
    }

    @Test func aLongRedrawIsShownOncePerIntervalThenItsFinalState() {
        var console = ConsoleLines(partialInterval: .seconds(1))
        #expect(console.push(Data("\r 1%".utf8), now: t0).isEmpty)
        #expect(console.push(Data("\r 2%".utf8), now: t0 + .milliseconds(500)).isEmpty)
        #expect(console.push(Data("\r 3%".utf8), now: t0 + .milliseconds(1000)) == [" 3%"])
        #expect(console.push(Data("\r 4%".utf8), now: t0 + .milliseconds(1500)).isEmpty)
        #expect(console.push(Data("\r100%\n".utf8), now: t0 + .milliseconds(1600)) == ["100%"])
    }

    @Test func aPartialLineWithoutCarriageReturnWaitsForItsNewline() {
        var console = ConsoleLines(partialInterval: .milliseconds(10))
        #expect(console.push(Data("no newline yet".utf8), now: t0).isEmpty)
        #expect(console.push(Data(", still".utf8), now: t0 + .seconds(5)).isEmpty)
        #expect(console.push(Data("\n".utf8), now: t0 + .seconds(6)) == ["no newline yet, still"])
    }

    @Test func invalidUTF8DoesNotStopTheStream() {
        var console = ConsoleLines()
        #expect(console.push(Data([0x66, 0xFF, 0x6F, 0x0A]), now: t0).count == 1)
    }
}

@Suite struct SecretMaskerTests {
    @Test func masksNamedAndPatternedVariablesLongestFirst() {
        let masker = SecretMasker(environment: [
            "CLEARML_API_SECRET_KEY": "s3cr3t-key-value", "CLEARML_AGENT_GIT_PASS": "gitpass", "MY_DB_PASSWORD": "hunter22",
            "HF_TOKEN": "hf_abcdef", "PLAIN": "visible-value", "CUSTOM": "custom-secret", "SHORT_TOKEN": "ab",
        ], hideVariables: ["CUSTOM"])
        let line = "key=s3cr3t-key-value pass=gitpass db=hunter22 hf=hf_abcdef plain=visible-value c=custom-secret ab"
        #expect(masker.apply(line) == "key=******** pass=******** db=******** hf=******** plain=visible-value c=******** ab")
    }

    @Test func overlappingSecretsLeaveNoFragment() {
        #expect(SecretMasker(["abcd", "abcdefgh"]).apply("x abcdefgh y") == "x ******** y")
    }
}

@Suite struct GitRemoteTests {
    let credentials = GitRemote.Credentials(user: "bot", password: "p@ss:word")

    @Test(arguments: [
        ("https://github.com/org/repo.git", "https://bot:p%40ss%3Aword@github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("git@github.com:org/repo.git", "https://bot:p%40ss%3Aword@github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("ssh://git@gitlab.example.com:2222/team/repo.git", "https://bot:p%40ss%3Aword@gitlab.example.com/team/repo.git", "https://gitlab.example.com/team/repo.git"),
        ("https://user@github.com/org/repo.git", "https://user@github.com/org/repo.git", "https://user@github.com/org/repo.git"),
        ("/srv/git/repo", "/srv/git/repo", "/srv/git/repo"),
    ])
    func credentialsAreAddedToHTTPSRemotes(repository: String, clone: String, display: String) {
        let remote = GitRemote(repository: repository, credentials: credentials)
        #expect(remote.cloneURL == clone)
        #expect(remote.display == display)
        #expect(!remote.display.contains("p%40ss"))
    }

    @Test func credentialsGoOnlyToTheConfiguredHost() {
        var scoped = credentials
        scoped.host = "gitlab.example.com"
        #expect(GitRemote(repository: "https://evil.example.org/x.git", credentials: scoped).cloneURL == "https://evil.example.org/x.git")
        #expect(GitRemote(repository: "https://GitLab.example.com/x.git", credentials: scoped).cloneURL.contains("bot:"))
    }

    @Test func sshIsKeptWithoutCredentialsOrWhenTranslationIsOffAndForcedWhenAsked() {
        #expect(GitRemote(repository: "git@github.com:org/repo.git", credentials: nil).cloneURL == "git@github.com:org/repo.git")
        #expect(GitRemote(repository: "git@github.com:org/repo.git", credentials: credentials, translateSSH: false).cloneURL == "git@github.com:org/repo.git")
        #expect(GitRemote(repository: "https://github.com/org/repo.git", credentials: credentials, forceSSH: true).cloneURL == "git@github.com:org/repo.git")
    }
}

@Suite struct VenvCacheKeyTests {
    @Test func sameEnvironmentSameKeyWhateverTheOrderAndComments() {
        let a = VenvCacheKey.make(pythonVersion: "3.11.7", requirements: "numpy==2.0\n# comment\nrequests>=2\n")
        let b = VenvCacheKey.make(pythonVersion: "3.11.7", requirements: "Requests>=2  # http\n\nnumpy==2.0")
        #expect(a == b)
        #expect(a.count == 24)
        #expect(a != VenvCacheKey.make(pythonVersion: "3.12.1", requirements: "numpy==2.0\nrequests>=2"))
        #expect(a != VenvCacheKey.make(pythonVersion: "3.11.7", requirements: "numpy==2.1\nrequests>=2"))
        #expect(a != VenvCacheKey.make(pythonVersion: "3.11.7", requirements: "numpy==2.0\nrequests>=2", systemSitePackages: true))
    }
}
