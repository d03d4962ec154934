# clearml-glue: one image for the controller and for the in-pod agent's init container.
# Build: docker build -t clearml-glue .

FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4-openssl-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies in their own layer so code changes do not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product clearml-glue --static-swift-stdlib \
 && install -D "$(swift build -c release --show-bin-path)/clearml-glue" /out/clearml-glue

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libcurl4 ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin clearml
COPY --from=build /out/clearml-glue /usr/local/bin/clearml-glue
USER 10001
ENTRYPOINT ["/usr/local/bin/clearml-glue"]
CMD ["--help"]
