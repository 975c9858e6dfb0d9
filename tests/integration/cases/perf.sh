# The broker's per-request costs (issue 14): what was changed to make
# them small keeps its promises.  A spare session child starts niced, so
# that a refill does not take the CPU from the sessions being served, and
# is given priority 0 back when a client is handed to it.

# The nice values of the suite daemon's children, one per line.
perf_nices() { ps -o ni= --ppid "$DPID" 2>/dev/null | tr -d ' '; }

# 0 when every child of the daemon is niced (there is at least one).
perf_all_spares() {
	n=$(perf_nices)
	[ -n "$n" ] && ! printf '%s\n' "$n" | grep -qvx 10
}

t_perf_spare_nice() {
	begin "pool: spares start niced; a child gets priority 0 with its client"
	it_art
	# Sessions use the children of the start (priority 0); the refills
	# made while another child is ready are spares.
	for _ in $(seq 12); do
		perf_all_spares && break
		as $ALICE sign -k rsa -f raw -o - art.bin > /dev/null 2>&1
		sleep 0.3
	done
	if perf_all_spares; then ok; else
		fail "the pool's children are not niced: $(perf_nices | tr '\n' ' ')"
	fi
	# A client held in its session (half a frame, then silence): the
	# child that serves it, a spare until then, runs at priority 0.
	runuser -u $ALICE -- "$T/bin/rawclient" "$T/csignd.sock" half 3 \
		> /dev/null 2>&1 &
	holder=$!
	found=0
	for _ in $(seq 30); do
		if [ "$(perf_nices | grep -cx 0)" -eq 1 ]; then
			found=1
			break
		fi
		sleep 0.1
	done
	if [ $found -eq 1 ]; then ok; else
		fail "no child serves at priority 0: $(perf_nices | tr '\n' ' ')"
	fi
	kill -TERM $holder 2>/dev/null
	wait $holder 2>/dev/null
}

CASES="$CASES t_perf_spare_nice"
