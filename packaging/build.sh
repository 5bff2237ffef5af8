#!/usr/bin/env bash
# The packages, after ./build.sh, all with the binary's version (from git: docs/install.md):
#   artifacts/procwatch_DEBVERSION_amd64.deb   Debian package (lintian: no errors)
#   artifacts/procwatch-VERSION.oci.tar        OCI image archive (podman load -i / docker load -i)
#   artifacts/nuget/*.VERSION.nupkg            ProcWatch and ProcWatch.Extensions.Hosting
# DEBVERSION is VERSION with its pre-release dash as ~ (0.3.0~alpha... sorts before 0.3.0).
# Usage: packaging/build.sh [deb] [oci] [nuget]      (default: all three)
# Env:   PROCWATCH_BIN  the binary to package (default artifacts/procwatch)
#        PACKAGE_OUT    where the packages go (default artifacts)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$(realpath "${PROCWATCH_BIN:-artifacts/procwatch}")
out=${PACKAGE_OUT:-$root/artifacts}
mkdir -p "$out" && out=$(realpath "$out")
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(deb oci nuget)

[ -x "$bin" ] || { echo "packaging: $bin does not exist: run ./build.sh first" >&2; exit 1; }
# dpkg-dev: dpkg-shlibdeps; lintian: the .deb's check; man-db: man -l checks of the pages.
scripts/setup.sh dpkg-dev lintian man-db

version=$("$bin" --version | awk '{print $2}')
commit=$("$bin" --version | sed -n 's/.*(commit \(.*\))$/\1/p')
debversion=${version/-/\~}
# Time stamps in the packages: the commit's, so that the same commit packs the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
work=$(mktemp -d /tmp/procwatch-packaging.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "packaging: procwatch $version (commit $commit)"

# Loaded with dlopen, so not in ldd's list: libbpf (src/ProcWatch/Interop/Libbpf.cs: eBPF),
# libssl/libcrypto (.NET's crypto: the SHA-256 of executables, https to ClickHouse).
dlopened=(libbpf.so.1 libssl.so.3 libcrypto.so.3)

library_path() { # soname -> path, as the loader finds it
  ldconfig -p | awk -v so="$1" '$1 == so && /x86-64/ { print $NF; exit }'
}

# Depends: dpkg-shlibdeps for what the binary links, the shlibs entry of each dlopen'd library.
depends() {
  local d=$work/shlibdeps
  mkdir -p "$d/debian"
  printf 'Source: procwatch\n\nPackage: procwatch\nArchitecture: amd64\n' >"$d/debian/control"
  local linked
  linked=$(cd "$d" && dpkg-shlibdeps -O -e"$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  local list=$linked so path pkg entry
  for so in "${dlopened[@]}"; do
    path=$(library_path "$so")
    [ -n "$path" ] || { echo "packaging: $so is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
    pkg=$(dpkg -S "$(realpath "$path")" 2>/dev/null | head -1 | cut -d: -f1) \
      || pkg=$(dpkg -S "$path" | head -1 | cut -d: -f1)
    # "libbpf 1 libbpf1 (>= 1.1.2)": the name and version part of the soname's line.
    entry=$(dpkg-query --control-show "$pkg" shlibs 2>/dev/null \
      | awk -v name="${so%%.so.*}" -v ver="${so##*.so.}" '$1 == name && $2 == ver { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }')
    list="$list, ${entry:-$pkg}"
  done
  # One entry per package (libssl3 names both libssl and libcrypto).
  echo "$list" | tr ',' '\n' | sed 's/^ *//' | awk 'NF && !seen[$1]++' | paste -sd, | sed 's/,/, /g'
}

build_deb() {
  local stage=$work/deb pkgdoc
  rm -rf "$stage"
  pkgdoc=$stage/usr/share/doc/procwatch
  install -D -m 0755 "$bin" "$stage/usr/bin/procwatch"
  install -d -m 0755 "$stage/lib/systemd/system" "$pkgdoc" "$stage/usr/share/man/man8" "$stage/usr/share/man/man5" \
    "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions"
  sed -e 's#/usr/local/bin/procwatch#/usr/bin/procwatch#g' \
      -e 's#^Documentation=.*#Documentation=man:procwatch(8) man:procwatch.yaml(5)#' \
      -e 's#^\(\# Install: \).*#\1the procwatch package (docs/install.md).#' \
      packaging/procwatch.service >"$stage/lib/systemd/system/procwatch.service"
  chmod 0644 "$stage/lib/systemd/system/procwatch.service"
  install -d -m 0750 "$stage/etc/procwatch"
  install -m 0640 packaging/procwatch.yaml "$stage/etc/procwatch/procwatch.yaml"
  # Written by the binary from the definitions that parse its command line and its configuration.
  "$bin" __man procwatch.8 | gzip -9n >"$stage/usr/share/man/man8/procwatch.8.gz"
  "$bin" __man procwatch.yaml.5 | gzip -9n >"$stage/usr/share/man/man5/procwatch.yaml.5.gz"
  "$bin" __completions bash >"$stage/usr/share/bash-completion/completions/procwatch"
  "$bin" __completions zsh >"$stage/usr/share/zsh/vendor-completions/_procwatch"
  chmod 0644 "$stage/usr/share/bash-completion/completions/procwatch" "$stage/usr/share/zsh/vendor-completions/_procwatch"
  gzip -9n <README.md >"$pkgdoc/README.md.gz"
  [ -f docs/install.md ] && gzip -9n <docs/install.md >"$pkgdoc/install.md.gz"
  install -m 0644 packaging/debian/copyright "$pkgdoc/copyright"
  {
    echo "procwatch ($debversion) unstable; urgency=medium"
    echo
    echo "  * Built from commit $commit."
    echo
    echo " -- ProcWatch contributors <procwatch@example.org>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
  } | gzip -9n >"$pkgdoc/changelog.gz"
  chmod 0644 "$pkgdoc"/*

  install -d -m 0755 "$stage/DEBIAN"
  install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$stage/DEBIAN/"
  echo /etc/procwatch/procwatch.yaml >"$stage/DEBIAN/conffiles"
  cat >"$stage/DEBIAN/control" <<CONTROL
Package: procwatch
Version: $debversion
Architecture: amd64
Maintainer: ProcWatch contributors <procwatch@example.org>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $(depends)
Section: admin
Priority: optional
Homepage: https://github.com/procwatch/procwatch
Description: see every process start, fork, exit and credential change
 ProcWatch reports every program start on Linux with its exact arguments
 (captured in the kernel by eBPF), and every fork, exit and credential change
 around it, the moment it happens, from the kernel's proc connector.
 .
 The procwatch command prints a live stream (table, tree or ECS JSON); the
 procwatch daemon records every launch as ECS JSON lines, raises alerts on
 rules and Sigma rules, and can respond. Configuration:
 /etc/procwatch/procwatch.yaml (procwatch.yaml(5)); service: procwatch.service.
CONTROL
  (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
  chmod 0644 "$stage/DEBIAN/md5sums" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/control"
  local deb=$out/procwatch_${debversion}_amd64.deb
  dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
  # Errors fail the build; warnings are printed for a human to weigh.
  lintian --fail-on error --suppress-tags-from-file packaging/debian/lintian-suppressed "$deb"
  echo "packaging: $deb"
}

build_oci() {
  local rootfs=$work/rootfs so path dep
  rm -rf "$rootfs"
  install -D -m 0755 "$bin" "$rootfs/usr/bin/procwatch"
  install -D -m 0644 packaging/image/procwatch.yaml "$rootfs/etc/procwatch/procwatch.yaml"
  install -d -m 1777 "$rootfs/tmp"
  # Only what the binary loads: what it links (ldd), what it dlopens, and what those link.
  local -A libs=()
  for path in "$bin" $(for so in "${dlopened[@]}"; do library_path "$so"; done); do
    [ "$path" = "$bin" ] || libs[$path]=1
    for dep in $(ldd "$path" | awk '/=>/ { print $3 } /^\t\/[^ ]+/ { print $1 }'); do
      libs[$dep]=1
    done
  done
  for path in "${!libs[@]}"; do
    # The loader stays where binaries name it (/lib64/...); libraries go to the loader's default directory.
    case $path in
      */ld-linux-x86-64.so.2) install -D -m 0755 "$(realpath "$path")" "$rootfs/lib64/ld-linux-x86-64.so.2" ;;
      *) install -D -m 0644 "$(realpath "$path")" "$rootfs/usr/lib/x86_64-linux-gnu/$(basename "$path")" ;;
    esac
  done
  # /etc/passwd and /etc/group: root only; mount the host's to see the host's user names.
  printf 'root:x:0:0:root:/:/usr/bin/procwatch\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$rootfs/etc/group"
  local archive=$out/procwatch-$version.oci.tar
  python3 packaging/oci_image.py "$rootfs" "$archive" --name procwatch --version "$version" --epoch "$SOURCE_DATE_EPOCH" \
    --entrypoint '["/usr/bin/procwatch"]' --cmd '["daemon","--config","/etc/procwatch/procwatch.yaml"]' \
    --label "org.opencontainers.image.title=procwatch" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=$commit" \
    --label "org.opencontainers.image.licenses=MIT" \
    --label "org.opencontainers.image.source=https://github.com/procwatch/procwatch" >/dev/null
  echo "packaging: $archive ($(ls "$rootfs/usr/lib/x86_64-linux-gnu" | tr '\n' ' '))"
}

build_nuget() {
  # The same version as the binary, whatever MinVer would say now (an override build, a later commit).
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  local project
  for project in src/ProcWatch src/ProcWatch.Extensions.Hosting; do
    dotnet pack "$project" -c Release -o "$out/nuget" -nologo -v quiet -p:MinVerVersionOverride="$version"
  done
  echo "packaging: $out/nuget/ProcWatch.$version.nupkg $out/nuget/ProcWatch.Extensions.Hosting.$version.nupkg"
}

for target in "${targets[@]}"; do
  case $target in
    deb) build_deb ;;
    oci) build_oci ;;
    nuget) build_nuget ;;
    *) echo "packaging: unknown target '$target' (expected deb, oci, nuget)" >&2; exit 2 ;;
  esac
done
