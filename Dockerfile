# clearml-glue: one image for the controller (`clearml-glue glue`) and for the init container that injects
# the agent into task pods (it copies /opt/clearml-glue into the pod's shared emptyDir). /opt/clearml-glue is
# the self-contained bundle from scripts/bundle: the binary with its own loader, glibc and every library it
# loads, started by a static launcher, so the agent needs nothing of a task image but the kernel (KERNEL_FLOOR).
#
#   docker build -t clearml-glue:0.1.0 .          # the default target, `runtime`: Swift builder stage
#   podman build -t clearml-glue:0.1.0 .          # the same
#
# Without a registry (scripts/image, which builds this file with buildah on a machine that has no registry):
# a bundle made outside the image goes in as the named build context `bundle`, and the base image is
# any local Debian 12 image passed as BASE_IMAGE:
#
#   buildah bud --target prebuilt --build-context bundle=DIR --build-arg BASE_IMAGE=NAME -t clearml-glue:0.1.0 .
#
# The `prebuilt` and `runtime` targets share every layer but the bundle's. BuildKit, podman and buildah
# build only the stages the chosen target needs, so the default build never asks for a `bundle` context and
# `--target prebuilt` never pulls the Swift image (docker's legacy builder, DOCKER_BUILDKIT=0, builds every
# stage and so cannot build this file).

# swift-prometheus needs swift-tools 6.2. Both images are arguments so that a mirror or a local stand-in
# can be named; the defaults are the official images.
ARG BUILDER_IMAGE=swift:6.3-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BUILDER_IMAGE} AS build
# libcurl (CCurl) and OpenSSL (CCrypto: digests through the libcrypto libcurl loads anyway) headers to build
# against. Only the product `clearml-glue` is built and shipped: the embedded dev server and cluster
# (`clearml-glue-dev`, SQLite, a TLS server, swift-crypto) stay out of the image. Versions are not pinned: they come from the base image's Debian 12 point release, and pinning them would break the
# build at the next security update, when the archive stops serving the pinned version.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl4-openssl-dev libssl-dev patchelf binutils \
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

FROM ${BASE_IMAGE} AS base
# The bundle carries libcurl and its dependencies; the image adds only the CA store. Not pinned,
# for the same reason as above: ca-certificates follows the Debian 12 security archive.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 clearml \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin clearml
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

# A bundle built outside the image (scripts/bundle on a Debian 12 machine), given as the build context
# `bundle`: for builds without a registry, where the Swift image cannot be pulled.
FROM base AS prebuilt
# `bundle` is a named build context (`--build-context bundle=DIR`), not a stage, which hadolint cannot know.
# hadolint ignore=DL3022
COPY --from=bundle . /opt/clearml-glue/

# The default target: the bundle from the Swift builder stage above.
FROM base AS runtime
COPY --from=build /out/bundle /opt/clearml-glue
