"""Serving with several worker processes: waitress in each, one listening socket shared by all.

One interpreter serves one request at a time (the GIL), so on a machine with several cores a
single waitress process leaves all but one idle and queues concurrent requests. A supervisor
binds the socket, imports the application and loads what holds no open file (the dictionary,
the index description), then forks ``workers`` children. Each child opens the index itself
(Whoosh reads its files with seek + read, so file objects must never be shared across a
fork), warms up and runs waitress on the inherited socket; the kernel hands each new
connection to one of them. The posting arrays are memory-mapped read-only, so every worker
reads the same page-cache pages. A worker notices a new generation on its next request like a
single-process server does (``SearchEngine.searcher``), so a rebuild reaches every worker.

The supervisor restarts a worker that dies, and stops them all on SIGTERM or SIGINT. A
worker whose supervisor is killed outright stops too (PR_SET_PDEATHSIG on Linux).
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import socket
import sys
import time
from typing import Callable

RESTART_PAUSE_S = 1.0  # a worker that keeps dying is restarted at most once a second
STOP_GRACE_S = 10.0  # how long stopping workers may take before they are killed


def default_workers() -> int:
    """One worker per usable core, at least one and at most eight."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def threads_per_worker(threads: int, workers: int) -> int:
    """The server's ``threads`` shared out among its worker processes (at least 1 each).

    A thread only holds a request while the application computes it (waitress reads and
    writes the sockets in its own loop), and every thread keeps a Whoosh searcher and a malloc
    arena: threads beyond the cores a process can use cost memory and buy no speed, so the
    number of requests computed at once stays the same whatever the number of workers.
    """
    return max(1, -(-threads // max(1, workers)))


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Let glibc's malloc share ``arenas`` heaps among this process's threads.

    By default every thread that allocates gets a heap of its own (up to 8 a core); the
    short-lived NumPy arrays of requests answered on 8 threads then leave 8 fragmented heaps
    behind (measured: 227 MB of anonymous memory after 86 queries on 8 threads, 202 MB with
    2 arenas). Call it before the threads start; elsewhere than glibc it does nothing.
    """
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A bound, listening TCP socket for ``host:port`` (IPv4 or IPv6, as the host says)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind(address)
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def supervise(sock: socket.socket, workers: int, serve_worker: Callable[[socket.socket], None]
              ) -> None:
    """Fork ``workers`` processes running ``serve_worker(sock)``; restart any that dies.

    Returns when SIGTERM or SIGINT arrives, after stopping the workers.
    """
    def stop(signum, frame):
        raise _Stop  # os.waitpid would otherwise resume waiting after the handler

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    # Objects made so far are shared copy-on-write with the workers: keep the collector from
    # touching (and so copying) their pages.
    gc.freeze()
    children: dict[int, int] = {}  # pid → worker number
    try:
        for number in range(workers):
            children[_fork(number, sock, serve_worker, previous)] = number
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            number = children.pop(pid, None)
            if number is None:
                continue
            print(f"policy-search: worker {number} (pid {pid}) ended "
                  f"({_describe_status(status)}); starting another", file=sys.stderr, flush=True)
            time.sleep(RESTART_PAUSE_S)
            children[_fork(number, sock, serve_worker, previous)] = number
    except _Stop:
        pass
    finally:
        for signum in previous:  # a second Ctrl-C must not cut the clean-up short
            signal.signal(signum, signal.SIG_IGN)
        _stop(children)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Stop(Exception):
    """SIGTERM or SIGINT reached the supervisor."""


def _fork(number: int, sock: socket.socket, serve_worker, handlers: dict) -> int:
    supervisor = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    status = 0
    try:
        for signum, handler in handlers.items():  # the workers stop as a plain process does
            signal.signal(signum, handler)
        _die_with_parent(supervisor)
        serve_worker(sock)
    except KeyboardInterrupt:
        pass
    except BaseException:  # noqa: BLE001 - reported; the supervisor starts another worker
        import traceback
        traceback.print_exc()
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _die_with_parent(supervisor: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker outlives a killed supervisor
        return
    if os.getppid() != supervisor:  # the supervisor died before prctl took effect
        os._exit(1)


def _stop(children: dict[int, int]) -> None:
    for pid in children:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    waiting = set(children)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                waiting.discard(pid)
        time.sleep(0.05)
    for pid in waiting:
        _signal(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
