#!/bin/sh
# Sets up or removes Netmon's capture rights (run as root). One script for
# every way in: `sudo netmon install`, the app's first-launch elevation (which
# copies this script and the program out of the app first, since root cannot
# read an AppImage's mount) and the deb's maintainer scripts.
#
#   capture-rights.sh install --program FILE [--prefix DIR] [--group NAME] [--user NAME]
#       copies FILE to DIR/bin/netmon-capture (root:NAME 0750, cap_net_raw,cap_net_admin=ep),
#       creates the group if missing, adds the user, records what it did in DIR/install.env
#   capture-rights.sh uninstall [--prefix DIR]
#       removes DIR (only with its install.env) and the group it created, or the users it added
#   capture-rights.sh configure-package --program FILE [--group NAME]
#       the deb's way (as Wireshark's for dumpcap): the packaged program itself becomes
#       root:NAME 0750 with the capabilities; the group is created if missing
#   capture-rights.sh unconfigure-package [--group NAME]
#       on removal of the package: the group goes if the package created it and nothing else uses it
set -eu

CAPS='cap_net_raw,cap_net_admin=ep'
prefix=/opt/netmon
group=netmon
user=
program=
package_state=/var/lib/netmon

die() { echo "capture-rights: $*" >&2; exit 1; }
valid_name() { printf '%s' "$1" | grep -Eq '^[a-z_][a-z0-9_-]{0,31}$'; }

command=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case $1 in
    --prefix) prefix=$2 ;;
    --group) group=$2 ;;
    --user) user=$2 ;;
    --program) program=$2 ;;
    *) die "unknown option '$1'" ;;
  esac
  shift 2
done

[ "$(id -u)" = 0 ] || die "must run as root (sudo netmon install)"
valid_name "$group" || die "invalid group name '$group'"
[ -z "$user" ] || valid_name "$user" || die "invalid user name '$user'"
case $prefix in /*) ;; *) die "--prefix must be an absolute path" ;; esac
case $prefix in *[!A-Za-z0-9/._-]* | / | */../* | */..) die "invalid prefix '$prefix'" ;; esac
command -v setcap >/dev/null || die "setcap is missing (Debian: apt-get install libcap2-bin)"

manifest=$prefix/install.env
field() { [ -f "$manifest" ] && sed -n "s/^$1=//p" "$manifest" | head -n 1 || true; }

ensure_group() {
  if getent group "$group" >/dev/null; then
    echo 0
  else
    groupadd --system "$group" && echo 1
  fi
}

# Gives FILE to root:group 0750 with the capabilities (chown clears capabilities, so setcap comes last).
grant() {
  chown "root:$group" "$1"
  chmod 0750 "$1"
  setcap "$CAPS" "$1"
}

check_program() {
  [ -n "$program" ] || die "--program is needed"
  [ -f "$program" ] && [ ! -L "$program" ] || die "$program is not a regular file"
  "$program" --version | grep -Eq '^netmon-capture [^ ]+ protocol [0-9]+$' || die "$program is not netmon-capture"
}

case $command in
  install)
    check_program
    [ -d "$prefix" ] && [ ! -f "$manifest" ] && [ -n "$(ls -A "$prefix")" ] && die "$prefix exists and was not made by netmon install"
    created=$(field created_group)
    [ "$(ensure_group)" = 1 ] && created=1
    mkdir -p "$prefix/bin"
    chown root:root "$prefix" "$prefix/bin"
    chmod 0755 "$prefix" "$prefix/bin"
    # Prepared beside the target and renamed into place: a failed install leaves the previous one.
    staged=$prefix/bin/.netmon-capture.new
    rm -f "$staged"
    cp "$program" "$staged"
    grant "$staged"
    mv -f "$staged" "$prefix/bin/netmon-capture"
    users=$(field added_users)
    if [ -n "$user" ]; then
      usermod -a -G "$group" "$user"
      case " $users " in *" $user "*) ;; *) users="${users:+$users }$user" ;; esac
    fi
    version=$("$prefix/bin/netmon-capture" --version | sed -n 's/^netmon-capture \([^ ]*\) .*/\1/p')
    printf 'group=%s\ncreated_group=%s\nadded_users=%s\nversion=%s\n' "$group" "${created:-0}" "$users" "$version" >"$manifest.new"
    chmod 0644 "$manifest.new"
    mv -f "$manifest.new" "$manifest"
    echo "installed netmon-capture $version in $prefix/bin (group $group${user:+, member $user: effective at next login})"
    ;;
  uninstall)
    if [ ! -e "$prefix" ]; then echo "no capture rights were installed in $prefix"; exit 0; fi
    [ -f "$manifest" ] || die "$prefix has no install.env: not removing a directory netmon did not make"
    group=$(field group)
    valid_name "$group" || die "install.env names an invalid group"
    created=$(field created_group)
    users=$(field added_users)
    rm -rf "$prefix"
    if getent group "$group" >/dev/null; then
      if [ "$created" = 1 ]; then
        groupdel "$group"
      else
        for u in $users; do gpasswd -d "$u" "$group" >/dev/null 2>&1 || true; done
      fi
    fi
    echo "removed $prefix${created:+ and its group}"
    ;;
  configure-package)
    check_program
    mkdir -p "$package_state"
    [ "$(ensure_group)" = 1 ] && echo "$group" >"$package_state/package-created-group"
    grant "$program"
    ;;
  unconfigure-package)
    if [ -f "$package_state/package-created-group" ]; then
      created=$(cat "$package_state/package-created-group")
      # A `netmon install` still uses the group: it goes with `netmon uninstall`.
      if valid_name "$created" && [ ! -f "$manifest" ] && getent group "$created" >/dev/null; then groupdel "$created"; fi
      rm -f "$package_state/package-created-group"
      rmdir "$package_state" 2>/dev/null || true
    fi
    ;;
  *) die "usage: capture-rights.sh install|uninstall|configure-package|unconfigure-package [options]" ;;
esac
