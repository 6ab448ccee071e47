#!/bin/bash
# The deb's postrm (electron-builder afterRemove): electron-builder's own steps,
# then, on remove or purge (not on upgrade), the `netmon` group goes if the
# package created it and no `netmon install` in /opt/netmon still uses it.
# dpkg has already removed netmon-capture, and its capabilities with it.

# Delete the link to the binary
# update-alternatives --remove <name> <path>: 'path' must be the registered alternative binary,
# not the generic symlink — see https://man7.org/linux/man-pages/man1/update-alternatives.1.html
if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}'
else
    rm -f '/usr/bin/${executable}'
fi

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'

# Remove and unload apparmor profile.
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  # Unload the profile from the running kernel before deleting the file so the
  # policy is not left enforced until the next reboot.  Mirror the chroot guard
  # used in the after-install script — live AppArmor operations are not
  # meaningful inside a chroot.
  # https://wiki.debian.org/AppArmor/HowToUse
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi

case "${1:-remove}" in
  remove|purge)
    NETMON_STATE=/var/lib/netmon
    if [ -f "$NETMON_STATE/package-created-group" ]; then
      NETMON_GROUP=$(cat "$NETMON_STATE/package-created-group")
      if printf '%s' "$NETMON_GROUP" | grep -Eq '^[a-z_][a-z0-9_-]{0,31}$' && [ ! -f /opt/netmon/install.env ] && getent group "$NETMON_GROUP" >/dev/null; then
        groupdel "$NETMON_GROUP" || true
      fi
      rm -f "$NETMON_STATE/package-created-group"
      rmdir "$NETMON_STATE" 2>/dev/null || true
    fi
    ;;
esac
