# Rate-limited grants: "Allow ... rate N/PERIOD".

t_rate_limit() {
	begin "a rate-limited grant: N signatures, then exit 3 and a deny record"
	c=$T/home/$CAROL
	echo "rate" > "$c/rate.txt"
	cp "$T/csignd.conf" "$T/csignd.conf.rate"
	it_config "Allow group $IT_RAWONLY keys p384 rate 3/hour"
	kill -HUP "$DPID"
	sleep 0.5
	for i in 1 2 3; do
		check "signature $i of 3" as $CAROL sign -k p384 -f raw \
			-o "rate$i.sig" rate.txt
	done
	expect_rc 3 "the fourth is over the limit" as $CAROL sign -k p384 \
		-f raw -o rate4.sig rate.txt
	expect_grep "rate limit: 3 signatures per hour" "$T/rc.out" "says why"
	expect_grep_soon "\"event\":\"deny\".*\"user\":\"$CAROL\".*rate limit" \
		"$T/audit.jsonl" "deny record"
	check "other keys are not limited" as $CAROL sign -k rawkey -f raw \
		-o rate5.sig rate.txt
	cp "$T/csignd.conf.rate" "$T/csignd.conf"
	kill -HUP "$DPID"
	sleep 0.5
}
CASES="$CASES t_rate_limit"
