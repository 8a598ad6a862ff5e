"""Take the network away from a process that evaluates queries from anonymous clients.

The SPARQL endpoint refuses federation from the parsed query (`portal.sparql_guard`), but the engine
underneath (Oxigraph) would still happily make HTTP requests if a query ever got past that check. A
worker process has no reason to talk to any network: it reads the graph store from disk and answers its
parent over an already-open pipe. So before it opens the store it installs a seccomp filter that makes
`socket(AF_INET|AF_INET6, ...)` fail with EACCES; Unix sockets, files and pipes are untouched. The
filter is inherited by every thread and child the worker starts later, and cannot be removed.

Linux only (x86-64 and arm64); elsewhere `deny_network()` returns False and the caller logs that the
second line of defence is missing. It needs no privileges: `PR_SET_NO_NEW_PRIVS` is set first, as the
kernel requires of an unprivileged filter.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import platform
import socket
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
X32_SYSCALL_BIT = 0x40000000

# Classic BPF opcodes (linux/filter.h).
_LD_W_ABS = 0x20      # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15         # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35         # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06         # BPF_RET | BPF_K

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]  (little-endian here)
_NR, _ARCH, _ARG0_LOW = 0, 4, 16

#: machine → (AUDIT_ARCH_*, the socket(2) system call number)
_ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def _program(arch: int, socket_nr: int, x86_64: bool) -> list[tuple[int, int, int, int]]:
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    # Indices: 0 ld arch; 1 other arch → allow; 2 ld nr; 3 x32 calls → deny; 4 not socket → allow;
    # 5 ld domain; 6 AF_INET → deny; 7 AF_INET6 → deny; 8 allow; 9 deny.
    return [
        (_LD_W_ABS, 0, 0, _ARCH),
        (_JEQ_K, 0, 6, arch),                                   # not our arch: allow (index 8)
        (_LD_W_ABS, 0, 0, _NR),
        (_JGE_K, 5, 0, X32_SYSCALL_BIT if x86_64 else 0xFFFFFFFF),   # x32 ABI: deny (index 9)
        (_JEQ_K, 0, 3, socket_nr),                              # not socket(): allow (index 8)
        (_LD_W_ABS, 0, 0, _ARG0_LOW),
        (_JEQ_K, 2, 0, socket.AF_INET),                         # → deny (index 9)
        (_JEQ_K, 1, 0, socket.AF_INET6),                        # → deny (index 9)
        (_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        (_RET_K, 0, 0, deny),
    ]


def deny_network() -> bool:
    """Install the filter in this process; True when it is in force."""
    machine = platform.machine()
    if not sys.platform.startswith("linux") or machine not in _ARCHES or sys.byteorder != "little":
        return False
    arch, socket_nr = _ARCHES[machine]
    code = _program(arch, socket_nr, machine == "x86_64")
    instructions = (_Instruction * len(code))(*[_Instruction(*i) for i in code])
    program = _Program(len(code), instructions)
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        return False
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.cast(ctypes.pointer(program), ctypes.c_void_p),
                  0, 0) != 0:
        return False
    return True


def network_denied() -> bool:
    """Whether this process can no longer open an internet socket (for tests and the health page)."""
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except PermissionError:
        return True
    probe.close()
    return False
