#!/usr/bin/python3
"""usage: mkfastboot.py STOCK_BZIMAGE OUT_BZIMAGE | --help

Turn a stock Debian x86_64 bzImage into one that boots without running the
kernel's decompressor.  Under Bochs, xz decompression alone costs ~54 s of
an ~82 s boot; this image boots in ~10 s.

How: keep the original real-mode setup sectors (they talk to the BIOS and
the boot loader exactly as before), take the compressed payload (xz or
zstd; the setup header's payload_offset/payload_length say where) and
decompress it on the host.  It holds the ELF vmlinux (possibly followed by
relocations).  Lay its PT_LOAD segments out by p_paddr as one flat image,
drop the all-zero tail (the stub zeroes it at boot) and put a small stub
(fastboot-stub.S, assembled here with as/ld) in front of it as the new
protected-mode part.  The stub copies the flat image to its physical load
address, builds identity page tables, enters 64-bit mode and jumps to the
ELF entry (startup_64) with RSI = boot_params.

The kernel's bytes in memory end up identical to what the decompressor
would produce with KASLR off (x86_64 needs no relocation processing at the
link-time address), so module vermagic and everything else match.  Boot
the result with `nokaslr` (the stub never randomizes anyway).

Only Python's standard library is used; zstd payloads (Debian's 6.12) are
decompressed with the `zstd` command (Debian package zstd).
"""

import lzma
import os
import struct
import subprocess
import sys
import tempfile

STUB_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fastboot-stub.S")
PAGE = 4096


def u32(buf, off):
    return struct.unpack_from("<I", buf, off)[0]


def decompress(payload):
    """Return the decompressed payload (ELF vmlinux plus maybe relocs)."""
    if payload.startswith(b"\xfd7zXZ\x00"):
        # The xz stream is followed by the 4-byte uncompressed size: the
        # decompressor object stops at the stream end and ignores it.
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    if payload.startswith(b"\x28\xb5\x2f\xfd"):
        # zstd refuses trailing bytes, so cut the 4-byte size off.
        return subprocess.run(["zstd", "-dcq"], input=payload[:-4],
                              stdout=subprocess.PIPE, check=True).stdout
    sys.exit("mkfastboot: unsupported payload compression (magic %s)"
             % payload[:6].hex())


def flat_image(elf):
    """Lay the ELF64 PT_LOAD segments out by p_paddr.

    Returns (base physical address, entry, image bytes, memory size)."""
    if (elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1
            or struct.unpack_from("<H", elf, 0x12)[0] != 62):
        sys.exit("mkfastboot: payload is not an x86_64 ELF64 file")
    entry, phoff = struct.unpack_from("<QQ", elf, 0x18)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    loads = []
    for i in range(phnum):
        (p_type, _flags, p_offset, _vaddr, p_paddr, p_filesz,
         p_memsz, _align) = struct.unpack_from("<IIQQQQQQ", elf,
                                               phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            loads.append((p_paddr, p_offset, p_filesz, p_memsz))
    base = min(seg[0] for seg in loads)
    end = max(seg[0] + seg[3] for seg in loads)
    image = bytearray(end - base)  # gaps and memsz > filesz stay zero
    for paddr, offset, filesz, _memsz in loads:
        image[paddr - base:paddr - base + filesz] = elf[offset:offset + filesz]
    return base, entry, image, end - base


def assemble(symbols):
    """Assemble and link the stub to a flat binary with the given symbols."""
    with tempfile.TemporaryDirectory() as tmp:
        obj, out = os.path.join(tmp, "stub.o"), os.path.join(tmp, "stub.bin")
        defs = []
        for name, value in symbols.items():
            defs += ["--defsym", "%s=%d" % (name, value)]
        subprocess.run(["as", "--64", *defs, "-o", obj, STUB_SRC], check=True)
        subprocess.run(["ld", "-m", "elf_x86_64", "-Ttext=0", "-e", "_start",
                        "--oformat=binary", "-o", out, obj], check=True)
        with open(out, "rb") as f:
            return f.read()


def usage_error(reason):
    """One line and exit 64 (EX_USAGE), as the test bed's shell scripts."""
    sys.stderr.write("mkfastboot.py: %s (see mkfastboot.py --help)\n"
                     % reason)
    sys.exit(64)


def check_args(args):
    """--help prints the docstring; anything but two files is refused."""
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        sys.exit(0)
    for arg in args:
        if arg.startswith("-"):
            usage_error("unknown option '%s'" % arg)
    if len(args) != 2:
        usage_error("needs STOCK_BZIMAGE and OUT_BZIMAGE")
    if not os.path.isfile(args[0]):
        usage_error("%s: not a file" % args[0])


def main():
    check_args(sys.argv[1:])
    with open(sys.argv[1], "rb") as f:
        bz = bytearray(f.read())
    if bz[0x1fe:0x200] != b"\x55\xaa" or bz[0x202:0x206] != b"HdrS":
        sys.exit("mkfastboot: not a bzImage")
    if struct.unpack_from("<H", bz, 0x206)[0] < 0x208:
        sys.exit("mkfastboot: boot protocol too old (no payload fields)")
    setup_len = ((bz[0x1f1] or 4) + 1) * 512
    pay_off, pay_len = struct.unpack_from("<II", bz, 0x248)
    payload = bytes(bz[setup_len + pay_off:setup_len + pay_off + pay_len])

    base, entry, image, memsz = flat_image(decompress(payload))
    # Everything after the last non-zero byte is left to the stub to zero;
    # keep the file part 4-byte aligned for `rep movsl`.
    copy_len = len(image.rstrip(b"\0"))
    copy_len = (copy_len + PAGE - 1) // PAGE * PAGE
    copy_len = min(copy_len, (memsz + 3) // 4 * 4)
    page_tables = (base + memsz + PAGE - 1) // PAGE * PAGE
    kernel_end = page_tables + 6 * PAGE

    zero_len = (max(memsz - copy_len, 0) + 3) // 4 * 4  # zeroed by dwords
    symbols = dict(COPY_LEN=copy_len, DEST=base, ZERO_LEN=zero_len,
                   PT=page_tables, ENTRY=entry, FLAT_OFF=1 << 20)
    # Assemble twice: first to learn the stub's size (with a FLAT_OFF large
    # enough to get the same 32-bit encodings), then with the real offset.
    stub_len = (len(assemble(symbols)) + PAGE - 1) // PAGE * PAGE
    symbols["FLAT_OFF"] = stub_len
    stub = assemble(symbols)
    if len(stub) > stub_len:
        sys.exit("mkfastboot: stub grew between passes")
    prot = stub.ljust(stub_len, b"\0") + image[:copy_len]

    hdr = bz[:setup_len]
    struct.pack_into("<I", hdr, 0x1f4, (len(prot) + 15) // 16)  # syssize
    hdr[0x234] = 0        # relocatable_kernel: please load at code32_start
    struct.pack_into("<H", hdr, 0x236, 0)  # xloadflags: no 64-bit/EFI entry
    struct.pack_into("<II", hdr, 0x248, 0, 0)  # no compressed payload
    # init_size: memory from the load address the kernel needs; here the
    # image, its zeroed tail and our page tables.
    struct.pack_into("<I", hdr, 0x260, kernel_end - base)
    struct.pack_into("<II", hdr, 0x264, 0, 0)  # handover, kernel_info gone

    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(hdr)
        f.write(prot)
    os.replace(tmp, sys.argv[2])
    print("mkfastboot: %s: load 0x%x entry 0x%x image %d MiB (+%d MiB zeroed)"
          % (sys.argv[2], base, entry, copy_len >> 20,
             (memsz - copy_len) >> 20))


if __name__ == "__main__":
    main()
