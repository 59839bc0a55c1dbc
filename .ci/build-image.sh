#!/bin/sh
# Builds the Wharf container image without a Docker engine: a release binary with the
# Swift runtime linked in (--static-swift-stdlib), and buildah assembling, from scratch,
# the filesystem the Dockerfile's runtime stage has: the binary, the C libraries it links
# (glibc, OpenSSL 3, libstdc++/libgcc from this Debian bookworm host, the same
# packages bookworm-slim installs), the CA bundle, a non-root user 1001, the default
# config at /etc/wharf/config.yml and the /var/lib/registry volume.
#
#   .ci/build-image.sh OUTPUT.oci.tar [TAG]     # writes an oci-archive
#
# WHARF_RELEASE_BIN=path skips the release build (use an already built binary). The
# release build is stamped with the checkout's commit (.ci/stamp-commit.sh; the file is
# restored afterwards), or with WHARF_GIT_COMMIT.
# Buildah uses private vfs storage under a temp dir; the host's is never touched.
set -eu

out=${1:?usage: .ci/build-image.sh OUTPUT.oci.tar [TAG]}
tag=${2:-wharf:latest}
root=$(cd "$(dirname "$0")/.." && pwd)

bin=${WHARF_RELEASE_BIN:-}
if [ -z "$bin" ]; then
    stamp="$root/Sources/WharfConfig/BuildInfo+Commit.swift"
    unstamped=$(cat "$stamp")
    # Put the file back however the build ends (failure, Ctrl-C): it is tracked by git.
    trap 'printf "%s\n" "$unstamped" > "$stamp"' EXIT INT TERM
    sh "$root/.ci/stamp-commit.sh" ${WHARF_GIT_COMMIT:-}
    (cd "$root" && swift build -c release --static-swift-stdlib --product wharf)
    printf '%s\n' "$unstamped" > "$stamp"
    trap - EXIT INT TERM
    bin="$(cd "$root" && swift build -c release --show-bin-path)/wharf"
fi
[ -x "$bin" ] || { echo "no executable at $bin" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-image.XXXXXX")
cleanup() {
    HOME="$work/home" buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs rm -a >/dev/null 2>&1 || true
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc/wharf" "$rootfs/etc/ssl/certs" "$rootfs/var/lib/registry" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
install -m 0755 "$bin" "$rootfs/usr/local/bin/wharf"
strip "$rootfs/usr/local/bin/wharf" 2>/dev/null || true
install -m 0644 "$root/config/config.yml" "$rootfs/etc/wharf/config.yml"

# The shared libraries the binary loads, and the dynamic loader, at their own paths.
ldd "$bin" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u | while read -r lib; do
    real=$(readlink -f "$lib")
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$real" "$rootfs$lib"
done
# OpenSSL loads no providers by default; its config is optional. Resolver and NSS files
# so name lookups work in a scratch image.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
for lib in /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libresolv.so.2; do
    [ -e "$lib" ] && { mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"; }
done
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nwharf:x:1001:1001:wharf:/var/lib/registry:/usr/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nwharf:x:1001:\n' > "$rootfs/etc/group"

# Private HOME: a permissive signature policy for the commit, whatever the host has.
mkdir -p "$work/home/.config/containers" "$work/run"
printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' > "$work/home/.config/containers/policy.json"
b() {
    HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_RUNTIME_DIR="$work/run" BUILDAH_ISOLATION=chroot \
        buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs "$@"
}
# /var/lib/registry belongs to the image's user, as the Dockerfile's `install -d -o wharf`
# makes it (buildah copy would make it root's, and every push would fail). The tree goes
# in as one archive, so the owners and modes set here are the image's.
chown -R 0:0 "$rootfs"
chown 1001:1001 "$rootfs/var/lib/registry"
chmod 0750 "$rootfs/var/lib/registry"
tar --numeric-owner -C "$rootfs" -cf "$work/rootfs.tar" .
ctr=$(b from scratch)
b add "$ctr" "$work/rootfs.tar" / >/dev/null
b config --user 1001:1001 --port 5000/tcp --volume /var/lib/registry --workingdir /var/lib/registry \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --entrypoint '["/usr/local/bin/wharf"]' --cmd 'serve /etc/wharf/config.yml' \
    --label org.opencontainers.image.title=wharf \
    --label org.opencontainers.image.description="OCI distribution registry" \
    --os linux --arch amd64 "$ctr"
rm -f "$out"
b commit --format oci --quiet "$ctr" "oci-archive:$out:$tag" >/dev/null
echo "$out"
