#!/usr/bin/env bash
# validate-data.sh: the desktop file, the AppStream metadata and the icons,
# checked by the tools distributions run on them; TAP.
set -uo pipefail

data=${1:?usage: validate-data.sh DATA_DIR}
n=0
failed=0

check() {
  local description=$1
  shift
  local output
  n=$((n + 1))
  if output=$("$@" 2>&1); then
    echo "ok $n $description"
  else
    echo "not ok $n $description"
    failed=1
  fi
  [[ -z $output ]] || printf '%s\n' "$output" | sed 's/^/# /'
}

skip() {
  n=$((n + 1))
  echo "ok $n $1 # SKIP $2"
}

for desktop in org.cradle.Cradle.desktop org.cradle.Cradle-service.desktop; do
  if command -v desktop-file-validate >/dev/null; then
    check "desktop-file-validate $desktop" desktop-file-validate "$data/$desktop"
  else
    skip "desktop-file-validate $desktop" "desktop-file-validate is missing (package desktop-file-utils)"
  fi
done

if command -v appstreamcli >/dev/null; then
  check "appstreamcli validate --no-net org.cradle.Cradle.metainfo.xml" \
    appstreamcli validate --no-net "$data/org.cradle.Cradle.metainfo.xml"
else
  skip "appstreamcli validate org.cradle.Cradle.metainfo.xml" "appstreamcli is missing (package appstream)"
fi

# The launcher, the metadata and the app agree on the id and the icon.
check "the desktop file names the app's id as its icon" \
  grep -qx -e 'Icon=org.cradle.Cradle' "$data/org.cradle.Cradle.desktop"
check "the desktop file runs cradle" grep -qx -e 'Exec=cradle' "$data/org.cradle.Cradle.desktop"
# The launcher is D-Bus activatable: its bus name is the app's id, and the
# D-Bus service and the autostart entry start the app as a service.
check "the desktop file is D-Bus activatable" grep -qx -e 'DBusActivatable=true' "$data/org.cradle.Cradle.desktop"
check "the D-Bus service owns the app's id" grep -qx -e 'Name=org.cradle.Cradle' "$data/org.cradle.Cradle.service.in"
check "the D-Bus service starts the app as a service" \
  grep -qx -e 'Exec=@bindir@/cradle --gapplication-service' "$data/org.cradle.Cradle.service.in"
check "the autostart entry starts the app as a service, hidden" \
  bash -c "grep -qx -e 'Exec=cradle --gapplication-service' '$data/org.cradle.Cradle-service.desktop' && grep -qx -e 'NoDisplay=true' '$data/org.cradle.Cradle-service.desktop'"
check "the metainfo launches org.cradle.Cradle.desktop" \
  grep -q '<launchable type="desktop-id">org.cradle.Cradle.desktop</launchable>' "$data/org.cradle.Cradle.metainfo.xml"

for icon in scalable/apps/org.cradle.Cradle.svg symbolic/apps/org.cradle.Cradle-symbolic.svg; do
  if command -v xmllint >/dev/null; then
    check "$icon is well-formed SVG" xmllint --noout "$data/icons/hicolor/$icon"
  else
    check "$icon is well-formed SVG" /usr/bin/python3 -c \
      "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(r.tag != '{http://www.w3.org/2000/svg}svg')" \
      "$data/icons/hicolor/$icon"
  fi
done

echo "1..$n"
exit $failed
