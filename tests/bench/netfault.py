"""iptables on loopback, confined to chains of our own: traffic counters and faults.

Two chains per owner prefix (e.g. PICKET_BENCH):
  PREFIX_OUT  jumped to from OUTPUT: one counting rule per (source address, proto)
  PREFIX_IN   jumped to from INPUT:  the faults (random loss, partitions)

Faults sit on INPUT, so a dropped datagram is lost on the way in (as on a real
network) rather than failing the sender's sendto() with EPERM. Nothing outside
the two chains is touched except the two jump rules; `cleanup()` removes jumps
and chains and is safe to call any number of times (also for leftovers of a run
that was killed with SIGKILL: `cluster_bench.py --cleanup`).

Local API ports (HTTP, Serf RPC) are exempt from every fault rule, so the
runner can still observe the agents while their gossip suffers.
"""

import subprocess

IPT = "iptables"


def _ipt(*args, check=True):
    r = subprocess.run([IPT, "-w", "5", *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"iptables {' '.join(args)}: {r.stderr.strip()}")
    return r


def _batch(lines):
    """Appends many rules at once (iptables-restore --noflush: one atomic commit)."""
    text = "*filter\n" + "\n".join(lines) + "\nCOMMIT\n"
    r = subprocess.run(["iptables-restore", "-w", "5", "--noflush"], input=text, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"iptables-restore: {r.stderr.strip()}")


def iptables_available():
    """(ok, reason). Tries to create and delete a scratch chain."""
    try:
        r = subprocess.run([IPT, "-w", "5", "-N", "PICKET_PROBE_CHK"], capture_output=True, text=True)
    except FileNotFoundError:
        return False, "iptables not installed"
    if r.returncode != 0:
        return False, r.stderr.strip() or "iptables -N failed (not permitted?)"
    subprocess.run([IPT, "-w", "5", "-X", "PICKET_PROBE_CHK"], capture_output=True)
    return True, ""


class NetFault:
    def __init__(self, prefix, exempt_ports=()):
        self.prefix = prefix
        self.out = prefix + "_OUT"
        self.inp = prefix + "_IN"
        self.exempt_ports = list(exempt_ports)
        self.active = False

    # -- life cycle -------------------------------------------------------
    def setup(self):
        self.cleanup()
        _ipt("-N", self.out)
        _ipt("-N", self.inp)
        _ipt("-I", "OUTPUT", "1", "-j", self.out)
        _ipt("-I", "INPUT", "1", "-j", self.inp)
        self.active = True
        self._exemptions()

    def _exemptions(self):
        for p in self.exempt_ports:
            _ipt("-A", self.inp, "-p", "tcp", "--dport", str(p), "-j", "RETURN")
            _ipt("-A", self.inp, "-p", "tcp", "--sport", str(p), "-j", "RETURN")

    def cleanup(self):
        for parent, chain in (("OUTPUT", self.out), ("INPUT", self.inp)):
            for _ in range(20):
                if _ipt("-D", parent, "-j", chain, check=False).returncode != 0:
                    break
            _ipt("-F", chain, check=False)
            _ipt("-X", chain, check=False)
        self.active = False

    # -- counters ---------------------------------------------------------
    def add_counters(self, addresses, port, subnets):
        """Count, per source address, UDP datagrams and TCP segments of the gossip port.

        TCP that a process opens from 127.0.0.1 (Serf/memberlist dials without
        binding its address) cannot be attributed to one agent: it is counted in
        one aggregate rule `lo->SUBNET` per subnet that the caller sums and divides by N.
        """
        for a in addresses:
            _ipt("-A", self.out, "-s", a, "-p", "udp", "-m", "comment", "--comment", f"cnt:{a}:udp")
            _ipt("-A", self.out, "-s", a, "-p", "tcp", "--sport", str(port),
                 "-m", "comment", "--comment", f"cnt:{a}:tcp")
            _ipt("-A", self.out, "-s", a, "-p", "tcp", "--dport", str(port),
                 "-m", "comment", "--comment", f"cnt:{a}:tcp")
        for subnet in subnets:
            _ipt("-A", self.out, "-s", "127.0.0.1", "-d", subnet, "-p", "tcp", "--dport", str(port),
                 "-m", "comment", "--comment", f"cnt:lo->{subnet}:tcp")

    def read_counters(self):
        """{key: [packets, bytes]} with key 'ADDR' or 'lo->SUBNET' (udp+tcp summed)."""
        r = _ipt("-nvxL", self.out)
        out = {}
        for line in r.stdout.splitlines():
            if "cnt:" not in line:
                continue
            f = line.split()
            pk, by = int(f[0]), int(f[1])
            key = line.split("cnt:", 1)[1].split()[0].rsplit(":", 1)[0]
            cur = out.setdefault(key, [0, 0])
            cur[0] += pk
            cur[1] += by
        return out

    # -- faults -----------------------------------------------------------
    def clear_faults(self):
        _ipt("-F", self.inp, check=False)
        self._exemptions()

    def loss(self, subnets, probability, udp_only):
        """Drop each packet to or from the cluster on `subnets` (one /24 or a list)
        with `probability`, once per packet: packets to its agents, and those its
        agents send elsewhere (the TCP replies to dialers, which connect from
        127.0.0.1)."""
        subnets = [subnets] if isinstance(subnets, str) else list(subnets)
        proto = ["-p", "udp"] if udp_only else []
        stat = ["-m", "statistic", "--mode", "random", "--probability", f"{probability:.4f}"]
        for subnet in subnets:
            _ipt("-A", self.inp, *proto, "-d", subnet, *stat, "-j", "DROP")
        for subnet in subnets:
            # One subnet: everything leaving it. Several: "! -d" takes one, and a
            # packet between two of them met the first rule already; agents send
            # nowhere else than to each other and to 127.0.0.1.
            elsewhere = ["!", "-d", subnet] if len(subnets) == 1 else ["-d", "127.0.0.1/32"]
            _ipt("-A", self.inp, *proto, "-s", subnet, *elsewhere, *stat, "-j", "DROP")

    def member_loss(self, addr, probability, direction):
        """Gray failure of one member: drop `probability` of the packets to it
        (direction "in"), from it ("out") or both. Stream connections a process
        dials come from 127.0.0.1, not from its address: "out" reaches its UDP
        and the TCP replies it sends as a server, not the connections it opens."""
        stat = [] if probability >= 1 else [
            "-m", "statistic", "--mode", "random", "--probability", f"{probability:.4f}"]
        if direction in ("in", "both"):
            _ipt("-A", self.inp, "-d", addr, *stat, "-j", "DROP")
        if direction in ("out", "both"):
            _ipt("-A", self.inp, "-s", addr, *stat, "-j", "DROP")

    def one_way(self, pairs):
        """For each (deaf, unheard) address pair: `deaf` stops hearing `unheard`
        (its datagrams and the TCP replies it sends as a server); `unheard`
        still hears `deaf`."""
        _batch([f"-A {self.inp} -s {unheard} -d {deaf} -j DROP" for deaf, unheard in pairs])

    def partition(self, side_a, side_b, port=None, block_lo_tcp=False):
        """Drop everything between the address lists side_a and side_b (both ways).

        block_lo_tcp: also drop TCP connections from 127.0.0.1 to `port`
        (Serf dials from 127.0.0.1, so the side of the caller is unknown; this
        blocks those streams inside each half too, stated in the output).
        """
        lines = []
        for a in side_a:
            for b in side_b:
                lines.append(f"-A {self.inp} -s {a} -d {b} -j DROP")
                lines.append(f"-A {self.inp} -s {b} -d {a} -j DROP")
        if block_lo_tcp and port:
            for x in list(side_a) + list(side_b):
                lines.append(f"-A {self.inp} -s 127.0.0.1 -d {x} -p tcp --dport {port} -j DROP")
        _batch(lines)

    def isolate(self, addr, others):
        self.partition([addr], others)
