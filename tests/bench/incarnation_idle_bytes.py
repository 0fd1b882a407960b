#!/usr/bin/env python3
"""Idle bytes per agent of a cluster without service checks, before and after
every member sets one tag (its incarnation goes from 0 to 1): the cost of a
nonzero incarnation in every heartbeat. 32 agents on 127.18.0.x, killed by PID.

    PICKET_BIN=build/picket tests/bench/incarnation_idle_bytes.py
"""
import subprocess, time, urllib.request, os, signal, tempfile
P=os.environ.get("PICKET_BIN", os.path.join(os.path.dirname(__file__), "../../build/picket")); N=32; procs=[]; d=tempfile.mkdtemp()
def host(i): return f"127.18.0.{10+i}"
def sent(i):
    t=urllib.request.urlopen(f"http://{host(i)}:9747/metrics",timeout=2).read().decode()
    for l in t.splitlines():
        if l.startswith("picket_sent_bytes_total "): b=float(l.split()[1])
        if l.startswith("picket_datagrams_sent_total "): g=float(l.split()[1])
    return b,g
try:
    for i in range(N):
        a=[P,"agent","--name",f"n{i}","--bind",f"{host(i)}:9746","--http",f"{host(i)}:9747"]
        if i: a+=["--join",f"{host(0)}:9746"]
        procs.append(subprocess.Popen(a,stdout=open(f"{d}/{i}.log","w"),stderr=subprocess.STDOUT))
    time.sleep(20)
    def measure(secs):
        c0=[sent(i) for i in range(N)]; t0=time.time(); time.sleep(secs); c1=[sent(i) for i in range(N)]; dt=time.time()-t0
        return sum(b1-b0 for (b0,_),(b1,_) in zip(c0,c1))/N/dt, sum(g1-g0 for (_,g0),(_,g1) in zip(c0,c1))/N/dt
    a=measure(45); print("incarnation 0: %.1f B/s %.2f dg/s"%a, flush=True)
    for i in range(N):
        subprocess.run([P,"tags","set","k=v","--http",f"{host(i)}:9747"],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
    time.sleep(15)
    b=measure(45); print("incarnation 1 (a tag set once): %.1f B/s %.2f dg/s"%b, flush=True)
    print("ratio %.3f"%(b[0]/a[0]))
finally:
    for p in procs: p.kill()
    for p in procs: p.wait()
