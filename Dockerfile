# Wharf container image: build with the Swift toolchain, run on a slim Debian with only
# the C libraries Wharf links (OpenSSL 3) and the CA bundle, as a non-root user.
#
#   docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) -t wharf .
#   docker run -p 5000:5000 -v registry:/var/lib/registry -e REGISTRY_HTTP_SECRET=... wharf
#
# The same filesystem can be assembled without a Docker engine: .ci/build-image.sh.

FROM docker.io/library/swift:6.3-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev libcrypt-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Manifest first: the dependency-free package resolves instantly, but the layer order
# keeps source edits from invalidating the apt layer.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# The commit `wharf version`, the start line and imageregistry_build_info report.
ARG GIT_COMMIT=
COPY .ci/stamp-commit.sh ./.ci/stamp-commit.sh
RUN if [ -n "$GIT_COMMIT" ]; then sh .ci/stamp-commit.sh "$GIT_COMMIT"; fi
RUN swift build -c release --static-swift-stdlib --product wharf \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/wharf" /out/usr/local/bin/wharf

FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 1001 wharf \
 && useradd --system --uid 1001 --gid wharf --home-dir /var/lib/registry --shell /usr/sbin/nologin wharf \
 && install -d -o wharf -g wharf -m 0750 /var/lib/registry
COPY --from=build /out/usr/local/bin/wharf /usr/local/bin/wharf
COPY config/config.yml /etc/wharf/config.yml
# The same settings .ci/build-image.sh gives its image (test_ops_image.py compares them).
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /var/lib/registry
USER 1001:1001
EXPOSE 5000
VOLUME ["/var/lib/registry"]
ENTRYPOINT ["/usr/local/bin/wharf"]
CMD ["serve", "/etc/wharf/config.yml"]
