# shellcheck shell=bash
# Helper functions for demo.sh and test.sh (source this file; it runs nothing on its own).
#
#   emulator_start BIN DIR    start gc-emulator on 127.0.0.1:0 with the demo client; sets EMU_URL, EMU_PID
#   emulator_users FILE       GET /__emulator/users into FILE (a JSON array)
#   emulator_dump KIND FILE   GET /__emulator/KIND (queues, wrapupcodes, skills, ...) into FILE
#   emulator_stop             POST /__emulator/shutdown, wait, and kill if it lingers (safe to call twice)
#
# The OAuth client the emulator accepts is the one in data/demo.settings.

EMU_CLIENT_ID=${EMU_CLIENT_ID:-gcsync-demo}
EMU_CLIENT_SECRET=${EMU_CLIENT_SECRET:-demo-secret-not-real}
EMU_PID=
EMU_URL=

# curl must never go through a proxy for loopback.
_emu_curl() { curl --noproxy '*' -fsS --max-time 10 "$@"; }

emulator_start() {
    local bin=$1 dir=$2
    local port_file=$dir/emulator.port
    rm -f "$port_file"
    "$bin" --bind 127.0.0.1:0 --client-id "$EMU_CLIENT_ID" --client-secret "$EMU_CLIENT_SECRET" \
        --port-file "$port_file" >"$dir/emulator.log" 2>&1 &
    EMU_PID=$!
    local i
    for i in $(seq 1 200); do
        if [ -s "$port_file" ]; then
            EMU_URL=$(head -n1 "$port_file" | tr -d '[:space:]')
            case $EMU_URL in
                http://127.0.0.1:[0-9]*) return 0 ;;
                [0-9]*) EMU_URL=http://127.0.0.1:$EMU_URL; return 0 ;;
            esac
        fi
        if ! kill -0 "$EMU_PID" 2>/dev/null; then
            echo "emulator exited early:" >&2
            cat "$dir/emulator.log" >&2
            EMU_PID=
            return 1
        fi
        sleep 0.05
    done
    echo "emulator did not write $port_file within 10 s" >&2
    emulator_stop
    return 1
}

emulator_users() {
    _emu_curl "$EMU_URL/__emulator/users" -o "$1"
}

emulator_dump() {
    _emu_curl "$EMU_URL/__emulator/$1" -o "$2"
}

emulator_stop() {
    [ -n "$EMU_PID" ] || return 0
    if kill -0 "$EMU_PID" 2>/dev/null; then
        _emu_curl -X POST "$EMU_URL/__emulator/shutdown" -o /dev/null 2>/dev/null || true
        local i
        for i in $(seq 1 50); do
            kill -0 "$EMU_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$EMU_PID" 2>/dev/null; then
            kill "$EMU_PID" 2>/dev/null || true
        fi
    fi
    wait "$EMU_PID" 2>/dev/null || true
    EMU_PID=
}
