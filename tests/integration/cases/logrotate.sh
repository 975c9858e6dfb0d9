# contrib/logrotate-csign signals csignd by its PID file, and only csignd:
# a PID file left by a crash that names another process (the pid reused)
# must not get SIGUSR1, whose default action ends a process.  The good
# path, a real csignd reopening its log, is t_audit_rotate's (systemd.sh).
# Sourced by run.sh.

t_logrotate_stale_pid() {
	begin "logrotate-csign: a stale PID file naming another process is left alone"
	if ! command -v logrotate > /dev/null; then
		echo "  (logrotate not installed: contrib/logrotate-csign not run)"
		return
	fi
	sleep 300 &
	sp=$!
	echo "$sp" > "$T/lr.pid"
	echo '{"seq":1}' > "$T/lr.jsonl"
	sed -e "s|/var/log/csign/audit.jsonl|$T/lr.jsonl|" \
		-e "s|/run/csign/csignd.pid|$T/lr.pid|g" \
		contrib/logrotate-csign > "$T/lr.conf"
	check "logrotate -f runs" logrotate -f -s "$T/lr.state" "$T/lr.conf"
	check "the log was renamed" ls "$T"/lr.jsonl-*
	sleep 0.2
	kill -0 "$sp" 2>/dev/null && ok ||
		fail "SIGUSR1 went to pid $sp, which is not csignd"
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
}

CASES="$CASES t_logrotate_stale_pid"
