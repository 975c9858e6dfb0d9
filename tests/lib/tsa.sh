# Helpers for tests that need an RFC 3161 time-stamp authority (sourced).
#
#   tsa_make_ca DIR          DIR/tsaca.{key,crt}: a test TSA CA;
#                            DIR/tsa.{key,crt}: a TSA certificate it
#                            issued (critical EKU timeStamping);
#                            DIR/tsachain.pem: tsa.crt then tsaca.crt
#   tsa_start DIR NAME MODE [ARG...]
#                            runs $TSASERVER with DIR's TSA key in MODE
#                            (extra ARGs go to it, e.g. -C DIR/tsachain.pem
#                            or -d 2000), waits for its port and sets
#                            TSA_PORT_<NAME> and TSA_URL_<NAME>
#                            (http://127.0.0.1:PORT/tsa); its files are
#                            DIR/NAME.{port,pid,log,err}
#   tsa_url DIR NAME         prints the URL (safe in $(...), unlike
#                            tsa_start, whose server would hold the pipe)
#   tsa_mode DIR NAME MODE   switches a running server to MODE
#   tsa_stop DIR NAME        stops it and waits until it has exited
#   tsa_free_port            prints a loopback port where nothing listens
#
# DIR/NAME.log has one line per request: "MODE PATH BODYBYTES STATUS".
# Call tsa_start in the test's own shell (not in a subshell), so that the
# variables it sets are seen and tsa_stop can wait for the server.

TSASERVER=${TSASERVER:-build/test/tsaserver}

# tsa_make_ca DIR: quiet unless openssl fails (then its output, and 1).
tsa_make_ca() {
	mkdir -p "$1" || return 1
	if ! (cd "$1" && _tsa_make_ca) >"$1/tsaca.out" 2>&1; then
		echo "tsa_make_ca: cannot make the TSA certificates:" >&2
		sed 's/^/    /' "$1/tsaca.out" >&2
		return 1
	fi
	rm -f "$1/tsaca.out"
}

# The work of tsa_make_ca, in DIR, in a subshell.
_tsa_make_ca() {
	set -e
	openssl req -x509 -newkey rsa:2048 -nodes -keyout tsaca.key \
		-out tsaca.crt -days 3650 -subj "/CN=csign test TSA CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
	cat > tsa.ext <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=critical,timeStamping
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out tsa.key
	openssl req -new -key tsa.key -subj "/CN=csign test TSA" -out tsa.csr
	openssl x509 -req -in tsa.csr -CA tsaca.crt -CAkey tsaca.key \
		-set_serial 3161 -days 3650 -extfile tsa.ext -out tsa.crt
	cat tsa.crt tsaca.crt > tsachain.pem
	rm -f tsa.csr tsa.ext
}

# Refuse a NAME that cannot be part of a variable name.
_tsa_name() {
	case $1 in
	"" | [0-9]* | *[!A-Za-z0-9_]*)
		echo "tsa: bad server name '$1'" >&2
		return 1 ;;
	esac
}

# tsa_start DIR NAME MODE [ARG...]
tsa_start() {
	_tsa_dir=$1 _tsa_n=$2 _tsa_m=$3
	shift 3
	_tsa_name "$_tsa_n" || return 1
	rm -f "$_tsa_dir/$_tsa_n.port" "$_tsa_dir/$_tsa_n.port.mode"
	"$TSASERVER" -k "$_tsa_dir/tsa.key" -c "$_tsa_dir/tsa.crt" \
		-p "$_tsa_dir/$_tsa_n.port" -l "$_tsa_dir/$_tsa_n.log" \
		-m "$_tsa_m" "$@" </dev/null >/dev/null \
		2>"$_tsa_dir/$_tsa_n.err" &
	_tsa_pid=$!
	echo $_tsa_pid > "$_tsa_dir/$_tsa_n.pid"
	for _ in $(seq 50); do
		[ -s "$_tsa_dir/$_tsa_n.port" ] && break
		kill -0 $_tsa_pid 2>/dev/null || break
		sleep 0.1
	done
	if ! [ -s "$_tsa_dir/$_tsa_n.port" ]; then
		echo "tsa_start: $_tsa_n did not start:" >&2
		sed 's/^/    /' "$_tsa_dir/$_tsa_n.err" >&2
		kill $_tsa_pid 2>/dev/null
		rm -f "$_tsa_dir/$_tsa_n.pid"
		return 1
	fi
	_tsa_port=$(cat "$_tsa_dir/$_tsa_n.port")
	eval "TSA_PORT_$_tsa_n=\$_tsa_port"
	eval "TSA_URL_$_tsa_n=http://127.0.0.1:\$_tsa_port/tsa"
}

# tsa_url DIR NAME
tsa_url() {
	printf 'http://127.0.0.1:%s/tsa\n' "$(cat "$1/$2.port")"
}

# tsa_mode DIR NAME MODE: written whole (rename), read at each request.
tsa_mode() {
	printf '%s\n' "$3" > "$1/$2.port.mode.tmp" &&
		mv -f "$1/$2.port.mode.tmp" "$1/$2.port.mode"
}

# tsa_stop DIR NAME: TERM and wait.  The server ends at once on TERM; the
# poll and KILL are for a server started from another shell, which this
# one cannot wait for.
tsa_stop() {
	[ -f "$1/$2.pid" ] || return 0
	_tsa_pid=$(cat "$1/$2.pid")
	kill $_tsa_pid 2>/dev/null
	wait $_tsa_pid 2>/dev/null
	for _ in $(seq 50); do
		kill -0 $_tsa_pid 2>/dev/null || break
		sleep 0.1
	done
	kill -9 $_tsa_pid 2>/dev/null
	rm -f "$1/$2.pid" "$1/$2.port" "$1/$2.port.mode"
	return 0
}

# tsa_free_port: nothing listens there (the port was bound, then closed).
tsa_free_port() {
	"$TSASERVER" -P
}
