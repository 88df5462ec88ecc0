# shellcheck shell=bash
# Shared settings and helpers of cradle-lab.  Sourced, never run.

LAB_PYTHON=/usr/bin/python3          # Debian's: Samba's modules live there
LAB_MARKER_NAME=.cradle-lab
# shellcheck disable=SC2034  # used by samba.sh
LAB_WAIT_SECONDS=${CRADLE_LAB_WAIT:-60}

# LAB_SRC: tests/lab; REPO_ROOT: two levels above it (symlinks resolved).
LAB_SRC=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)
REPO_ROOT=$(cd "$LAB_SRC/../.." && pwd -P)
LAB_DIR=${CRADLE_LAB_DIR:-$REPO_ROOT/.lab}
case $LAB_DIR in
    /*) ;;
    *) LAB_DIR=$PWD/$LAB_DIR ;;
esac
LAB_DIR=${LAB_DIR%/}

say()  { printf 'cradle-lab: %s\n' "$*"; }
warn() { printf 'cradle-lab: %s\n' "$*" >&2; }
die()  { printf 'cradle-lab: %s\n' "$1" >&2; exit "${2:-1}"; }

require_root() {
    [ "$(id -u)" -eq 0 ] ||
        die "'$1' must run as root: Samba binds privileged ports on 127.0.0.1 and the lab edits /etc/hosts"
}

# labpy COMMAND ARGS...: the Python half (tests/lab/labctl).
labpy() {
    [ -x "$LAB_PYTHON" ] || die "$LAB_PYTHON not found (apt-get install python3 python3-samba)"
    PYTHONPATH="$LAB_SRC${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
        "$LAB_PYTHON" -m labctl "$LAB_DIR" "$@"
}

lab_is_marked() { [ -f "$LAB_DIR/$LAB_MARKER_NAME" ]; }

# Create the lab folder (or accept an existing one of ours / an empty one).
lab_folder_prepare() {
    if [ -e "$LAB_DIR" ] && ! lab_is_marked; then
        [ -d "$LAB_DIR" ] || die "$LAB_DIR exists and is not a folder"
        [ -z "$(ls -A "$LAB_DIR")" ] ||
            die "refusing to use $LAB_DIR: it is not empty and holds no $LAB_MARKER_NAME marker (not a cradle-lab folder)"
    fi
    mkdir -p "$LAB_DIR"
    chmod 0755 "$LAB_DIR"
    [ -f "$LAB_DIR/$LAB_MARKER_NAME" ] ||
        printf 'cradle-lab folder; delete with: cradle-lab destroy\n' >"$LAB_DIR/$LAB_MARKER_NAME"
}

# Empty a lab folder for reprovisioning (keeps the marker and the lock).
lab_folder_wipe() {
    lab_is_marked || die "refusing to wipe $LAB_DIR: no $LAB_MARKER_NAME marker"
    find "$LAB_DIR" -mindepth 1 -maxdepth 1 ! -name "$LAB_MARKER_NAME" ! -name .lock \
        -exec rm -rf -- {} +
}

# One cradle-lab at a time per folder.
lab_lock() {
    exec 9>"$LAB_DIR/.lock"
    flock -w 300 9 || die "another cradle-lab command holds $LAB_DIR/.lock"
}

# port_open PORT: something accepts TCP on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

now_ms() { date +%s%3N; }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100)); }
