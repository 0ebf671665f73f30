#!/bin/sh
# Captures the near-miss fixtures (see README.md): `nft -j list ruleset` (NAME.json) and each
# chain's `nft -a -s list chain FAMILY TABLE CHAIN` (NAME.chain.FAMILY.TABLE.CHAIN.txt),
# of rulesets loaded into a throwaway network namespace (nft 1.0.6, iptables-nft 1.8.9).
# Run as root from this directory.
set -eu
NS=htnm1
trap 'ip netns del $NS 2>/dev/null || true' EXIT INT TERM
X() { ip netns exec $NS "$@"; }

fresh() { ip netns del $NS 2>/dev/null || true; ip netns add $NS; }

dump() { # NAME [CHAIN...] (each "FAMILY TABLE CHAIN")
	name=$1; shift
	X nft -j list ruleset >"$name.json"
	for c in "$@"; do
		set -- $c
		X nft -a -s list chain "$1" "$2" "$3" >"$name.chain.$1.$2.$3.txt"
	done
}

# (a) The lab's masquerade, written for eth0 (iptables-nft, as the lab writes it).
fresh
X iptables-nft -t nat -A POSTROUTING -s 172.18.0.0/24 -o eth0 -j MASQUERADE
dump lab-masquerade "ip nat POSTROUTING"

# (b) FORWARD policy drop, the accept for the wrong port.
fresh
X nft -f - <<'NFT'
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		tcp dport 8080 accept
	}
}
NFT
dump forward-port "inet filter forward"

# (c) DNAT from the wrong port.
fresh
X nft -f - <<'NFT'
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8000 dnat to 10.0.0.2:80
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" masquerade
	}
}
NFT
dump dnat-port "ip nat prerouting" "ip nat postrouting"

# (d) FORWARD accept for the wrong source subnet (iptables-nft).
fresh
X iptables-nft -P FORWARD DROP
X iptables-nft -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
X iptables-nft -A FORWARD -s 10.0.1.0/24 -o enX0 -j ACCEPT
dump forward-subnet "ip filter FORWARD"

# (e) Named sets: an interval set, one with element comments, an empty one.
fresh
X nft -f - <<'NFT'
table inet filter {
	set allowed {
		type ipv4_addr; flags interval;
		elements = { 10.0.1.0/24, 192.0.2.7, 198.51.100.1-198.51.100.9 }
	}
	set ports {
		type inet_service;
		elements = { 443 comment "https", 8443 comment "alt" }
	}
	set nobody {
		type ipv4_addr;
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ip saddr @nobody drop
		ip saddr @allowed tcp dport @ports accept
	}
}
NFT
dump named-set "inet filter forward"

# (f) iptables-nft as Docker writes it, the brief's FORWARD rules, DNAT behind addrtype LOCAL.
fresh
X iptables-nft -P FORWARD DROP
X iptables-nft -N DOCKER
X iptables-nft -N DOCKER-USER
X iptables-nft -N DOCKER-ISOLATION-STAGE-1
X iptables-nft -N DOCKER-ISOLATION-STAGE-2
X iptables-nft -A FORWARD -j DOCKER-USER
X iptables-nft -A FORWARD -j DOCKER-ISOLATION-STAGE-1
X iptables-nft -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
X iptables-nft -A FORWARD -o docker0 -j DOCKER
X iptables-nft -A FORWARD -i docker+ -o enX0 -j ACCEPT
X iptables-nft -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
X iptables-nft -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
X iptables-nft -A DOCKER-ISOLATION-STAGE-1 -j RETURN
X iptables-nft -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
X iptables-nft -A DOCKER-ISOLATION-STAGE-2 -j RETURN
X iptables-nft -A DOCKER-USER -j RETURN
X iptables-nft -t nat -N DOCKER
X iptables-nft -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
X iptables-nft -t nat -A DOCKER -i docker0 -j RETURN
X iptables-nft -t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8000 -j DNAT --to-destination 172.17.0.2:80
X iptables-nft -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
dump iptables-docker "ip filter FORWARD" "ip filter DOCKER" "ip filter DOCKER-USER" \
	"ip filter DOCKER-ISOLATION-STAGE-1" "ip filter DOCKER-ISOLATION-STAGE-2" \
	"ip nat PREROUTING" "ip nat DOCKER" "ip nat POSTROUTING"

# (g) Matches hoptrace does not model, on the rules a near miss would pick.
fresh
X iptables-nft -P FORWARD DROP
X iptables-nft -A FORWARD -p tcp --dport 8080 -m recent --name seen --rcheck -j ACCEPT
X iptables-nft -A FORWARD -p tcp --dport 8081 -m string --algo bm --string GET -j ACCEPT
X nft -f - <<'NFT'
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 9090 limit rate 5/second accept
		tcp dport 9091 meter m { ip saddr limit rate 3/minute } accept
		drop
	}
}
NFT
dump unmodeled "ip filter FORWARD" "inet filter forward"

# (h) One rule per match kind, each with no verdict (every one is reached) and a comment to find it by.
fresh
X nft -f - <<'NFT'
table inet kinds {
	set allowed {
		type ipv4_addr; flags interval;
		elements = { 10.0.1.0/24, 192.0.2.7 }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ip saddr 10.0.0.2 counter comment "saddr"
		ip daddr 10.0.1.0/24 counter comment "daddr prefix"
		ip daddr 10.0.0.1-10.0.0.9 counter comment "daddr range"
		ip saddr { 10.0.0.1, 10.0.2.0/24 } counter comment "saddr set"
		ip saddr != 10.0.0.0/8 counter comment "saddr not"
		ip saddr @allowed counter comment "saddr named set"
		ip6 saddr fd00::/8 counter comment "ip6 saddr"
		meta nfproto ipv4 counter comment "nfproto"
		meta l4proto { tcp, udp } counter comment "l4proto set"
		ip protocol icmp counter comment "ip protocol"
		tcp dport 80 counter comment "tcp dport"
		udp sport 1000-2000 counter comment "udp sport range"
		tcp dport { 80, 443 } counter comment "tcp dport set"
		tcp dport < 1024 counter comment "tcp dport lt"
		th dport 53 counter comment "th dport"
		icmp type echo-request counter comment "icmp type"
		iifname "docker*" counter comment "iifname wildcard"
		oifname != "docker0" counter comment "oifname not"
		iifname { "eth0", "br-*" } counter comment "iifname set"
		iif "lo" counter comment "iif"
		ct state established,related counter comment "ct state"
		ct state new counter comment "ct state new"
		ct state != invalid counter comment "ct state not"
		ct state { new, untracked } counter comment "ct state set"
		ct status dnat counter comment "ct status"
		ct status != snat counter comment "ct status not"
		fib daddr type local counter comment "fib daddr local"
		fib daddr type != local counter comment "fib daddr not local"
		fib saddr type local counter comment "fib saddr local"
		fib daddr type { broadcast, multicast } counter comment "fib daddr other types"
		meta mark 0x2a counter comment "mark"
		meta mark 0x10-0x20 counter comment "mark range"
		fib daddr . iif type local counter comment "fib with iif"
		meta mark and 0xff == 0x1 counter comment "masked mark"
		ct mark 1 counter comment "ct mark"
		tcp flags syn counter comment "tcp flags"
		ip ttl 1 counter comment "ttl"
		tcp dport vmap { 22 : accept, 23 : drop } comment "vmap"
		meta mark set 0x1 comment "mangle"
		ip saddr 10.0.0.2 meta nftrace set 1 comment "nftrace"
		log prefix "seen " counter comment "log"
	}
}
NFT
dump match-kinds "inet kinds forward"

# (i) Verdicts and walking: two base chains on forward (an accept in the first does not end the
# hook), jump/return/goto, reject, snat, redirect.
fresh
X nft -f - <<'NFT'
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth*" ip saddr 10.0.0.0/24 snat to 192.0.2.1
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local tcp dport 9000-9005 redirect to :80
	}
}
table inet first {
	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		iifname "lo" drop
		ip daddr 10.0.0.2 accept
	}
}
table ip second {
	chain checks {
		tcp dport 22 reject with tcp reset
		udp dport 53 return
		tcp dport 23 drop
	}
	chain final {
		ip saddr 10.0.0.0/24 accept
	}
	chain forward {
		type filter hook forward priority filter + 10; policy drop;
		jump checks
		goto final
		accept
	}
}
NFT
dump verdicts "ip nat postrouting" "ip nat prerouting" "inet first forward" "ip second checks" \
	"ip second final" "ip second forward"

# (j) Ties: three accepts one field away from the same packets.
fresh
X nft -f - <<'NFT'
table ip filter {
	chain FORWARD {
		type filter hook forward priority filter; policy drop;
		iifname "lo" accept
		ip saddr 10.0.1.0/24 oifname "enX0" accept
		ip daddr 10.9.9.9 accept
	}
}
NFT
dump ties "ip filter FORWARD"
