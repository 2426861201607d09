"""The Windows version resource (what Explorer shows under Properties → Details), written as the
text PyInstaller reads for ``EXE(version=...)``: ``VSVersionInfo(...)``, evaluated by it."""

from __future__ import annotations

from pathlib import Path

COMPANY = "FlowPilot"


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """ "1.2.3" → (1, 2, 3, 0); a suffix such as "1.2.3rc1" or "1.2.3.dev4" keeps its numbers."""
    numbers: list[int] = []
    for part in version.split(".")[:4]:
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        numbers.append(int(digits or 0))
    numbers += [0] * (4 - len(numbers))
    return numbers[0], numbers[1], numbers[2], numbers[3]


def version_text(version: str, product: str, original_filename: str) -> str:
    numbers = version_tuple(version)
    strings = [
        ("CompanyName", COMPANY),
        ("FileDescription", product),
        ("FileVersion", version),
        ("InternalName", original_filename.rsplit(".", 1)[0]),
        ("LegalCopyright", f"© {COMPANY}"),
        ("OriginalFilename", original_filename),
        ("ProductName", product),
        ("ProductVersion", version),
    ]
    string_structs = ",\n          ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings)
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers!r},
    prodvers={numbers!r},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0),
  ),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
          {string_structs}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])]),
  ],
)
"""


def write_version_file(target: Path, version: str, product: str, original_filename: str) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(version_text(version, product, original_filename), encoding="utf-8")
    return str(target)
