#!/bin/sh
# A throwaway TPM 2.0 token for csign's tests and demo, everything in
# directory $1 (which must exist):
#
#   tpm.sh start DIR	start a software TPM and make a tpm2-pkcs11 token
#   tpm.sh stop DIR	kill what start started (by the pids it recorded)
#   tpm.sh check	exit 0 if every program needed is installed
#
# start runs, all bound to loopback or to files in DIR:
#   swtpm (TPM 2.0 state in DIR/tpm-state, on two free TCP ports),
#   a private dbus-daemon (session bus at DIR/tpm-bus),
#   tpm2-abrmd --session in front of swtpm (swtpm alone runs out of object
#     contexts under tpm2_ptool: the access broker swaps them out),
#   then tpm2_ptool init and addtoken: a token labelled "csign" in the
#   tpm2-pkcs11 store DIR/tpm-store, user PIN in DIR/tpm.pin (0600), SO
#   PIN in DIR/tpm-so.pin.
# It writes DIR/tpm.env, the environment that tpm2-pkcs11 (in csignd and
# csign-admin), tpm2_ptool and tpm2-tools need (source it), and prints
#   module MODULE_PATH
#   label csign
#   pinfile DIR/tpm.pin
#   env DIR/tpm.env
# Pids go to DIR/tpm-*.pid; stop kills exactly those.
set -eu
TPM_MODULE=/usr/lib/x86_64-linux-gnu/libtpm2_pkcs11.so.1
TPM_LABEL=csign

tpm_check() {
	for p in swtpm tpm2-abrmd dbus-daemon tpm2_ptool tpm2_startup; do
		command -v "$p" >/dev/null 2>&1 ||
			[ -x "/usr/sbin/$p" ] || { echo "tpm: no $p" >&2; return 1; }
	done
	[ -f "$TPM_MODULE" ] || { echo "tpm: no $TPM_MODULE" >&2; return 1; }
	ls /usr/lib/x86_64-linux-gnu/libtss2-tcti-tabrmd.so.0 >/dev/null \
		2>&1 || { echo "tpm: no tabrmd TCTI" >&2; return 1; }
}

# Kill the process whose pid is in file $1 (if it is still there).
tpm_kill() {
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$1"
}

tpm_stop() {
	tpm_kill "$1/tpm-abrmd.pid"
	tpm_kill "$1/tpm-dbus.pid"
	tpm_kill "$1/tpm-swtpm.pid"
}

# Is TCP port $1 on loopback taken?
port_used() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# Start swtpm on two free consecutive loopback ports; the port in PORT.
start_swtpm() {
	d=$1
	mkdir -p "$d/tpm-state"
	for _ in $(seq 20); do
		PORT=$(( $(od -An -tu2 -N2 /dev/urandom) % 20000 + 30000 ))
		port_used $PORT || port_used $((PORT + 1)) && continue
		if swtpm socket --tpm2 --tpmstate dir="$d/tpm-state" \
		    --server type=tcp,port=$PORT,bindaddr=127.0.0.1 \
		    --ctrl type=tcp,port=$((PORT + 1)),bindaddr=127.0.0.1 \
		    --flags not-need-init,startup-clear \
		    --pid file="$d/tpm-swtpm.pid" \
		    --log file="$d/tpm-swtpm.log" --daemon 2>>"$d/tpm.log"
		then
			return 0
		fi
	done
	echo "tpm: swtpm did not start (see $d/tpm.log)" >&2
	return 1
}

# A private session bus for tpm2-abrmd (none of the host's buses).
start_dbus() {
	d=$1
	dbus-daemon --session --address="unix:path=$d/tpm-bus" --fork \
		--print-pid > "$d/tpm-dbus.pid" 2>>"$d/tpm.log"
	for _ in $(seq 50); do
		[ -S "$d/tpm-bus" ] && return 0
		sleep 0.1
	done
	echo "tpm: dbus-daemon did not start" >&2
	return 1
}

# tpm2-abrmd on that bus, in front of swtpm; wait until it answers.
start_abrmd() {
	d=$1
	abrmd=$(command -v tpm2-abrmd || echo /usr/sbin/tpm2-abrmd)
	"$abrmd" --session --tcti="swtpm:host=127.0.0.1,port=$PORT" \
		--allow-root >>"$d/tpm.log" 2>&1 </dev/null &
	echo $! > "$d/tpm-abrmd.pid"
	for _ in $(seq 100); do
		tpm2_getcap properties-fixed >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$d/tpm-abrmd.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "tpm: tpm2-abrmd did not answer (see $d/tpm.log)" >&2
	return 1
}

tpm_start() {
	d=$(cd "$1" && pwd)
	tpm_check
	cat > "$d/tpm.env" <<ENV
export DBUS_SESSION_BUS_ADDRESS=unix:path=$d/tpm-bus
export TPM2TOOLS_TCTI=tabrmd:bus_type=session
export TPM2_PKCS11_TCTI=tabrmd:bus_type=session
export TPM2_PKCS11_STORE=$d/tpm-store
ENV
	. "$d/tpm.env"
	mkdir -p "$d/tpm-store"
	# Half-started helpers go if anything below fails.
	trap 'tpm_stop "$d"' EXIT
	start_swtpm "$d"
	start_dbus "$d"
	start_abrmd "$d"
	pin=csign-tpm-pin-$(od -An -tx4 -N4 /dev/urandom | tr -d ' ')
	sopin=csign-tpm-so-$(od -An -tx4 -N4 /dev/urandom | tr -d ' ')
	(umask 077
	printf '%s\n' "$pin" > "$d/tpm.pin"
	printf '%s\n' "$sopin" > "$d/tpm-so.pin")
	tpm2_ptool init >>"$d/tpm.log" 2>&1
	tpm2_ptool addtoken --pid=1 --label=$TPM_LABEL --userpin="$pin" \
		--sopin="$sopin" >>"$d/tpm.log" 2>&1
	trap - EXIT
	echo "module $TPM_MODULE"
	echo "label $TPM_LABEL"
	echo "pinfile $d/tpm.pin"
	echo "env $d/tpm.env"
}

case ${1:-} in
start) tpm_start "$2" ;;
stop) tpm_stop "$2" ;;
check) tpm_check ;;
*) echo "usage: tpm.sh start DIR | stop DIR | check" >&2; exit 2 ;;
esac
