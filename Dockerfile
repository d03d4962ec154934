# clearml-glue: one image for the controller (`clearml-glue glue`) and for the init container that injects
# the agent into task pods (it runs `cp -a /opt/clearml-glue/. /clearml-agent/`). /opt/clearml-glue is the
# relocatable bundle from scripts/bundle: the binary plus every non-glibc library it loads, with RPATH
# $ORIGIN/../lib, so the agent runs in task images that have only glibc >= the floor in GLIBC_FLOOR.
#
#   docker build -t clearml-glue:0.1.0 .
#
# Reviewed, not built, where it was written (no container engine there); see deploy/kind/README.md.

# swift-prometheus needs swift-tools 6.2.
FROM swift:6.3-bookworm AS build
# libcurl (CCurl) and SQLite headers (GRDB, for the embedded dev server) to build against.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl4-openssl-dev libsqlite3-dev patchelf binutils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies in their own layer: a code change does not refetch them. Package.resolved is used when the
# build context has one (the glob matches nothing otherwise).
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
COPY Sources ./Sources
# The manifest declares the test targets, so their folders must exist for the package to load.
COPY Tests ./Tests
COPY scripts/bundle ./scripts/bundle
RUN swift build -c release --product clearml-glue --static-swift-stdlib \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/clearml-glue" /out/clearml-glue \
 && strip /out/clearml-glue \
 && scripts/bundle --binary /out/clearml-glue --out /out/bundle

FROM debian:bookworm-slim
# The bundle carries libcurl, SQLite and their dependencies; the image adds only the CA store.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 clearml \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin clearml
COPY --from=build /out/bundle /opt/clearml-glue
# Templates and scripts written for upstream (`clearml-agent execute --id ...`) keep working.
RUN ln -s /opt/clearml-glue/bin/clearml-glue /usr/local/bin/clearml-glue \
 && ln -s /opt/clearml-glue/bin/clearml-glue /usr/local/bin/clearml-agent
LABEL org.opencontainers.image.title="clearml-glue" \
      org.opencontainers.image.description="Kubernetes glue for ClearML: controller and in-pod agent"
ENV HOME=/tmp
# Numeric, so runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /tmp
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/clearml-glue"]
CMD ["--help"]
