import Testing
@testable import Glue

@Suite struct DockerArgumentsTests {
    @Test func environmentInEveryFormUpstreamMissesSome() {
        let args = DockerArguments(["-e", "A=1", "--env", "B=x=y", "--env=C=3", "-e", "NOVALUE"])
        #expect(args.environment.map(\.name) == ["A", "B", "C"])
        #expect(args.environment.map(\.value) == ["1", "x=y", "3"])
        #expect(args.refused.map(\.argument) == ["-e NOVALUE"])
    }

    @Test(arguments: [("8g", "8Gi"), ("512m", "512Mi"), ("1024", "1024"), ("2GB", "2Gi"), ("64k", "64Ki")])
    func sharedMemorySizes(docker: String, quantity: String) {
        #expect(DockerArguments(["--shm-size", docker]).sharedMemory == quantity)
        #expect(DockerArguments(["--shm-size=\(docker)"]).sharedMemory == quantity)
    }

    @Test func gpus() {
        #expect(DockerArguments(["--gpus", "2"]).gpus == 2)
        #expect(DockerArguments(["--gpus", "\"device=0,1,3\""]).gpus == 3)
        #expect(DockerArguments(["--gpus", "all"]).gpusAll)
        #expect(DockerArguments(["--gpus", "many"]).refused.count == 1)
    }

    @Test func privilegesAreRefusedEvenWhenFiltersAllowThem() {
        let args = DockerArguments(["--privileged", "--cap-add", "SYS_ADMIN", "--network=host", "--ipc", "host", "-e", "A=1"], filters: [".*"])
        #expect(args.refused.map(\.argument) == ["--privileged", "--cap-add SYS_ADMIN", "--network host", "--ipc host"])
        #expect(args.environment.count == 1)
    }

    @Test func hostPathsOnlyUnderAllowedRoots() {
        let args = DockerArguments(["-v", "/data/cache:/root/.cache:ro", "-v", "/data2:/x", "-v", "/etc:/host-etc", "--volume", "/data/../etc:/y", "-v", "named:/z"],
                                   allowedHostPaths: ["/data"])
        #expect(args.hostMounts == [DockerArguments.HostMount(hostPath: "/data/cache", containerPath: "/root/.cache", readOnly: true)])
        #expect(args.refused.count == 4)
        #expect(args.refused[2].reason.contains("/etc"))
    }

    @Test func filtersWhitelistFlags() {
        let args = DockerArguments(["-e", "A=1", "--shm-size", "1g"], filters: ["^-e$", "^--env$"])
        #expect(args.environment.count == 1)
        #expect(args.sharedMemory == nil)
        #expect(args.refused.first?.reason.contains("CLEARML_AGENT_DOCKER_ARGS_FILTERS") == true)
    }

    @Test func unknownAndMeaninglessFlagsAreReportedWithTheirValues() {
        let args = DockerArguments(["--rm", "-it", "--label", "a=b", "--foo", "bar", "--ulimit", "nofile=1024"])
        #expect(args.refused.map(\.argument) == ["--rm", "-it", "--label a=b", "--foo bar", "--ulimit nofile=1024"])
    }
}
