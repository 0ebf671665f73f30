#!/bin/sh
# Captures the nftables fixtures of Tests/Fixtures/nftrace: `nft -j list ruleset` (NAME.json),
# `nft -a -s list chain FAMILY TABLE CHAIN` (NAME.chain.FAMILY.TABLE.CHAIN.txt) and
# `nft list table FAMILY TABLE` (NAME.table.FAMILY.TABLE.txt) of rulesets built
# in a throwaway network namespace (iptables-nft 1.8.9, nft 1.0.6). Run as root from this
# directory. The ruleset-* ones rebuild the lab's rulesets of the *.hex traces with the same
# handles (rules added then flushed use up the handles the lab's earlier rules had).
set -eu
NS=htfix1
trap 'ip netns del $NS 2>/dev/null || true' EXIT INT TERM
X() { ip netns exec $NS "$@"; }

dump() { # NAME CHAIN... (each "FAMILY TABLE CHAIN")
	name=$1; shift
	X nft -j list ruleset >"$name.json"
	for c in "$@"; do
		set -- $c
		X nft -a -s list chain "$1" "$2" "$3" >"$name.chain.$1.$2.$3.txt"
	done
}

table() { # NAME FAMILY TABLE
	X nft list table "$2" "$3" >"$1.table.$2.$3.txt"
}

# The lab's nat table and the trace table of the run that captured the traces.
lab_nat_and_trace_table() {
	X iptables -t nat -P POSTROUTING ACCEPT
	X iptables -t nat -P PREROUTING ACCEPT
	X iptables -t nat -N DOCKER
	X iptables -t nat -A POSTROUTING -s 172.18.0.0/24 ! -o docker1 -j MASQUERADE
	X nft -f - <<'NFT'
table inet hoptrace_99999 {
	comment "hoptrace pid 99999"
	chain pre {
		type filter hook prerouting priority raw - 1; policy accept;
		counter
		counter
	}
	chain out {
		type filter hook output priority raw - 1; policy accept;
	}
}
NFT
	X nft flush chain inet hoptrace_99999 pre
	X nft add rule inet hoptrace_99999 pre ip saddr 172.18.0.3 icmp type echo-request meta nftrace set 1
	X nft add rule inet hoptrace_99999 pre ip saddr 172.31.45.174 icmp type echo-reply meta nftrace set 1
}

# Uses up N rule handles of ip filter FORWARD.
burn() {
	i=0
	while [ $i -lt "$1" ]; do X iptables -A FORWARD -j ACCEPT; i=$((i + 1)); done
	X iptables -F FORWARD
}

lab() { # NAME POLICY BURN [RULE...]
	name=$1 policy=$2 n=$3; shift 3
	ip netns add $NS
	X iptables -P FORWARD "$policy"
	lab_nat_and_trace_table
	[ "$n" -gt 0 ] && burn "$n"
	for r in "$@"; do eval "X iptables -A FORWARD $r"; done
	if [ $# -gt 0 ]; then dump "$name" "ip filter FORWARD" "ip nat POSTROUTING"; else dump "$name" "ip nat POSTROUTING"; fi
	[ "$name" = ruleset-s3 ] && table "$name" inet hoptrace_99999
	ip netns del $NS
}

lab ruleset-s2 ACCEPT 0
lab ruleset-s3 DROP 0
lab ruleset-s4 DROP 3 "-i docker1 ! -o docker1 -j ACCEPT"
lab ruleset-reject DROP 2 "-p icmp -j REJECT"

# A lab-like ruleset: FORWARD policy drop, docker1's outbound and reply rules, masquerade.
ip netns add $NS
X iptables -P FORWARD DROP
X iptables -A FORWARD -i docker1 ! -o docker1 -j ACCEPT
X iptables -A FORWARD -o docker1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
X iptables -t nat -A POSTROUTING -s 172.18.0.0/24 ! -o docker1 -j MASQUERADE
dump lab "ip filter FORWARD" "ip nat POSTROUTING"
ip netns del $NS

# What Docker installs for one published port, and a native table with a named set, a map and
# a named counter. iptables-nft's `-m comment` is an xt match: nft 1.0.6 prints nothing for it
# (two spaces in the text) and `{"xt": {"type": "match", "name": "comment"}}` in JSON.
ip netns add $NS
X iptables -N DOCKER
X iptables -N DOCKER-ISOLATION-STAGE-1
X iptables -N DOCKER-ISOLATION-STAGE-2
X iptables -N DOCKER-USER
X iptables -P FORWARD DROP
X iptables -A FORWARD -j DOCKER-USER
X iptables -A FORWARD -j DOCKER-ISOLATION-STAGE-1
X iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
X iptables -A FORWARD -o docker0 -j DOCKER
X iptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
X iptables -A FORWARD -i docker0 -o docker0 -j ACCEPT
X iptables -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -m comment --comment "web {published} # handle 9" -j ACCEPT
X iptables -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
X iptables -A DOCKER-ISOLATION-STAGE-1 -j RETURN
X iptables -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
X iptables -A DOCKER-ISOLATION-STAGE-2 -j RETURN
X iptables -A DOCKER-USER -m comment --comment "user rules go here" -j RETURN
X iptables -t nat -N DOCKER
X iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
X iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
X iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
X iptables -t nat -A DOCKER -i docker0 -j RETURN
X iptables -t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
X nft -f - <<'NFT'
table inet htx {
	comment "native { table } # handle 1"
	set allowed { type ipv4_addr; elements = { 10.0.0.1, 10.0.0.2 }; }
	map ports { type inet_service : verdict; elements = { 80 : accept, 443 : drop }; }
	counter seen { }
	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr @allowed accept comment "from set"
		tcp dport vmap @ports
		tcp dport { 22, 2222 } ct state new log prefix "ssh # handle 7 " counter accept
		counter name "seen" jump audit
	}
	chain audit {
		meta l4proto udp log prefix "a {brace} # handle 2" drop
		meta l4proto tcp counter accept comment "tcp {ok} # handle 6"
	}
}
NFT
dump docker "ip filter FORWARD" "ip filter DOCKER" "ip filter DOCKER-ISOLATION-STAGE-1" \
	"ip filter DOCKER-ISOLATION-STAGE-2" "ip filter DOCKER-USER" "ip nat DOCKER" "inet htx input" "inet htx audit"
table docker inet htx
ip netns del $NS

# The sweep's view: `nft -j list tables` beside a trace table as TraceTable.installScript makes
# it (pid 4242, start time 987654), one without a start time (an older hoptrace), and tables
# that are not trace tables.
ip netns add $NS
X nft -f - <<'NFT'
table inet hoptrace_4242
delete table inet hoptrace_4242
table inet hoptrace_4242 {
	comment "hoptrace pid 4242 start 987654: temporary nftables tracing, removed on exit"
	chain trace_prerouting {
		type filter hook prerouting priority -301; policy accept;
		ip saddr 172.18.0.3 icmp type echo-request meta nftrace set 1
	}
	chain trace_output {
		type filter hook output priority -301; policy accept;
		ip saddr 172.18.0.3 icmp type echo-request meta nftrace set 1
	}
}
table inet hoptrace_77 {
	chain trace_prerouting {
		type filter hook prerouting priority -301; policy accept;
	}
}
table ip hoptrace_300 {
	comment "hoptrace pid 300"
}
table inet other {
	comment "hoptrace pid 1 start 2: not a trace table"
}
NFT
X nft -j list tables >sweep.json
table sweep inet hoptrace_4242
table sweep inet hoptrace_77
