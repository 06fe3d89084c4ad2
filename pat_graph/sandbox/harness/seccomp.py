"""A seccomp filter for system calls that no Python test needs, installed in every child that
runs candidate code, after its privileges are gone (both backends: it needs only NO_NEW_PRIVS).

Built here as a classic BPF program, without any library: the architecture is checked first
(another ABI, x32 included, is killed), listed calls fail with EPERM, `clone` fails with EPERM
when it asks for a new namespace, and `clone3` (whose flags live in memory a filter cannot read)
fails with ENOSYS, so the C library falls back to `clone`. docs/sandbox.md lists the calls.
"""

import ctypes
import errno
import platform
import struct

# name: (x86_64, aarch64) system call numbers
DENIED = {
    "unshare": (272, 97), "setns": (308, 268), "mount": (165, 40), "umount2": (166, 39),
    "pivot_root": (155, 41), "chroot": (161, 51), "open_tree": (428, 428),
    "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431),
    "fsmount": (432, 432), "fspick": (433, 433), "mount_setattr": (442, 442),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "kcmp": (312, 272), "pidfd_getfd": (438, 438),
    "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),
    "bpf": (321, 280), "perf_event_open": (298, 241), "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "kexec_load": (246, 104), "kexec_file_load": (320, 294), "init_module": (175, 105),
    "finit_module": (313, 273), "delete_module": (176, 106),
    "open_by_handle_at": (304, 265), "name_to_handle_at": (303, 264),
    "swapon": (167, 224), "swapoff": (168, 225), "reboot": (169, 142),
    "sethostname": (170, 161), "setdomainname": (171, 162), "acct": (163, 89),
    "syslog": (103, 116), "settimeofday": (164, 170), "clock_settime": (227, 112),
    "clock_adjtime": (305, 266), "adjtimex": (159, 171), "quotactl": (179, 60),
    "lookup_dcookie": (212, 18), "fanotify_init": (300, 262), "vhangup": (153, 58),
    "nfsservctl": (180, 42), "iopl": (172, None), "ioperm": (173, None), "uselib": (134, None),
}  # fmt: skip
CLONE = (56, 220)
CLONE3 = (435, 435)
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
CLONE_NAMESPACES |= 0x40000000 | 0x00000080
_ARCHES = {"x86_64": (0, 0xC000003E), "aarch64": (1, 0xC00000B7)}
_X32_BIT = 0x40000000

_LD_ABS_W, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _KILL_PROCESS = 0x7FFF0000, 0x80000000
_RET_ERRNO = 0x00050000
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2


def program(machine=None):
    """The filter as a list of (code, jt, jf, k), or None on an architecture it does not know."""
    arch = _ARCHES.get(machine or platform.machine())
    if arch is None:
        return None
    column, audit_arch = arch
    deny = sorted({nrs[column] for nrs in DENIED.values() if nrs[column] is not None})
    # Labels are resolved to relative jumps once the list is laid out.
    body = [("ld", 4), ("jeq", audit_arch, None, "kill"), ("ld", 0)]
    if column == 0:
        body.append(("jge", _X32_BIT, "kill", None))
    body += [("jeq", nr, "eperm", None) for nr in deny]
    body += [("jeq", CLONE3[column], "enosys", None), ("jeq", CLONE[column], None, "allow")]
    body += [("ld", 16), ("jset", CLONE_NAMESPACES, "eperm", None)]
    ends = {
        "allow": (_RET, 0, 0, _ALLOW),
        "eperm": (_RET, 0, 0, _RET_ERRNO | errno.EPERM),
        "enosys": (_RET, 0, 0, _RET_ERRNO | errno.ENOSYS),
        "kill": (_RET, 0, 0, _KILL_PROCESS),
    }
    where = {name: len(body) + i for i, name in enumerate(ends)}
    out = []
    for pc, ins in enumerate(body):
        if ins[0] == "ld":
            out.append((_LD_ABS_W, 0, 0, ins[1]))
            continue
        code = {"jeq": _JEQ, "jge": _JGE, "jset": _JSET}[ins[0]]
        jt = 0 if ins[2] is None else where[ins[2]] - pc - 1
        jf = 0 if ins[3] is None else where[ins[3]] - pc - 1
        if not (0 <= jt < 256 and 0 <= jf < 256):
            raise ValueError("seccomp program too long for its jumps")
        out.append((code, jt, jf, ins[1]))
    # The last instruction of the body falls through to the first end: allow.
    return out + list(ends.values())


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _packed():
    prog = program()
    if prog is None:
        return None
    raw = b"".join(struct.pack("=HBBI", *ins) for ins in prog)
    return len(prog), ctypes.create_string_buffer(raw, len(raw))


# Built once in the zygote (the harness imports this module before any fork); each child only
# hands it to the kernel.
_PROGRAM = _packed()


def install(libc):
    """Load the filter into this process (and every process it starts). False when this machine's
    architecture is not one the filter knows; raises OSError when the kernel refuses it."""
    if _PROGRAM is None:
        return False
    count, buf = _PROGRAM
    fprog = _Fprog(count, ctypes.addressof(buf))
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {errno.errorcode.get(err, err)}")
    return True
