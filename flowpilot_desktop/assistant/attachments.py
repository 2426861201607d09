"""What a technician may attach to a message: checked by content, with limits and clear words.

A file's name says little about what it holds: a ``.exe`` renamed ``.log`` once went out as
47 KB of replacement characters, and random bytes named ``.png`` as an image the API refused
(every later turn of that session re-sends the history, so one bad image breaks them all).
So images are recognised by their magic bytes and their header is read for the size; text is
decoded the way Windows tools write it; anything else is refused before it is stored, with a
message that names each file and says why. Qt-free and without I/O.

Limits, and where they come from (Anthropic docs, "Vision" and "API overview", 2026):

* PNG, JPEG, GIF and WebP are the image formats the API accepts.
* 5 MB per image on the API: the API answers ``image exceeds 5 MB maximum: N bytes > 5242880
  bytes``, and it measures the base64 form it receives, so a file may hold at most 3.75 MB.
* 8000 × 8000 px per image (2000 × 2000 px once a request holds more than 20 images).
* 32 MB per request for the Messages API (a larger one gets 413 ``request_too_large``); the
  request also carries the system prompt and the conversation, so one message's attachments
  get 20 MB of it.
* At most 10 images per message is FlowPilot's own limit (SPEC §5), well under the API's 100.
"""

from __future__ import annotations

import codecs
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from encodings import cp1252

from flowpilot_desktop.errors import UserFacingError

MAX_MESSAGE_CHARS = 100_000  # a message's own text; a longer paste goes in as a text file
MAX_TEXT_ATTACHMENT_CHARS = 200_000  # per text file after decoding, the truncation note included
# All text files of one message together (about 100k tokens): more would crowd the model's
# context window, and a request that overflows it fails again on every later turn.
MAX_TEXT_ATTACHMENTS_CHARS = 400_000
MAX_IMAGES = 10
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # the API's per-image limit, on the base64 form it receives
MAX_IMAGE_FILE_BYTES = MAX_IMAGE_BYTES // 4 * 3  # the largest file whose base64 form fits
MAX_IMAGE_SIDE = 8000  # pixels, each side
MAX_IMAGE_SIDE_MANY = 2000  # pixels, each side, once a request holds more than MANY_IMAGES
MANY_IMAGES = 20
MAX_REQUEST_BYTES = 32 * 1000 * 1000  # the Messages API's request limit ("32 MB"), read low
MAX_ATTACHMENTS_BYTES = 20 * 1024 * 1024  # one message's attachments as sent

_FORMATS = "PNG, JPEG, GIF or WebP"
_MiB = 1024 * 1024
_KiB = 1024
# Bytes that do not occur in text: C0 controls other than tab, LF, FF, CR and ESC (coloured
# console output), DEL, the C1 range, and U+FFFD from a decode that failed.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f-\x9f\ufffd]")
_MAX_NOT_TEXT_SHARE = 0.05
_UTF16_SAMPLE = 4096
_JPEG_MAX_SEGMENTS = 4096  # a real JPEG has its frame header within a few dozen segments
_JPEG_FILL = re.compile(rb"\xff+")
_JPEG_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8)])
_JPEG_FRAME = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # SOFn; not DHT, JPG, DAC
# Windows-1252 where it defines a character, Latin-1 for its five holes: what Windows tools
# mean by "ANSI", and it never fails.
_WINDOWS_1252 = "".join(
    chr(index) if char == "\ufffe" else char for index, char in enumerate(cp1252.decoding_table)
)
# Formats technicians attach that the API does not take, to say what the file is.
_OTHER_FORMATS: tuple[tuple[bytes, str, bool], ...] = (  # (magic, what it is, an image?)
    (b"BM", "a BMP image", True),
    (b"II*\x00", "a TIFF image", True),
    (b"MM\x00*", "a TIFF image", True),
    (b"\x00\x00\x01\x00", "an icon file", True),
    (b"%PDF-", "a PDF document", False),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)", False),
    (b"MZ", "a Windows program", False),
    (b"\x7fELF", "a Linux program", False),
)


@dataclass(frozen=True)
class Attachment:
    """A screenshot or log file the technician attached to a message, as received.

    ``media_type`` is what the sender claimed (a paste says ``image/png``); ``kind`` and
    ``resolved_type`` look at the bytes, because the claim and the file name can be wrong.
    """

    name: str
    data: bytes
    media_type: str = ""

    @property
    def kind(self) -> str:
        """``image`` when the bytes are a PNG, JPEG, GIF or WebP image, else ``text``."""
        return "image" if image_type(self.data) is not None else "text"

    @property
    def resolved_type(self) -> str:
        """The image type found in the bytes; for anything else the claimed non-image type."""
        found = image_type(self.data)
        if found is not None:
            return found
        claimed = self.media_type or mimetypes.guess_type(self.name)[0] or ""
        return claimed if claimed and not claimed.startswith("image/") else "text/plain"


@dataclass(frozen=True)
class PreparedAttachment:
    """An attachment that passed :func:`prepare`: what to store and send, nothing to re-check.

    Images keep their bytes and carry the type found in them; text is the decoded text as
    UTF-8, cut to :data:`MAX_TEXT_ATTACHMENT_CHARS` with a final line that says so.
    """

    name: str
    kind: str  # "image" | "text"
    media_type: str  # the image type from the content; "text/plain" for text
    data: bytes
    original_size: int  # bytes as attached
    truncated: bool = False

    @property
    def sent_size(self) -> int:
        """Bytes this attachment adds to a request (images go base64-encoded)."""
        return _base64_size(len(self.data)) if self.kind == "image" else len(self.data)


def image_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG, GIF or WebP image by its magic bytes; None otherwise."""
    head = bytes(data[:12])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(head) == 12 and head[:4] == b"RIFF" and head[8:] == b"WEBP":
        return "image/webp"
    return None


def image_size(data: bytes, media_type: str) -> tuple[int, int] | None:
    """Width and height from the image header; None when the header is missing, truncated
    or not of ``media_type``. Reads a few bytes only (no decoding) and never raises."""
    reader = _SIZE_READERS.get(media_type)
    if reader is None or image_type(data) != media_type:
        return None
    try:
        size = reader(bytes(data))
    except (IndexError, ValueError):  # the readers check lengths; this is a second net
        return None
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return size


def decode_text(data: bytes) -> str | None:
    """The text in ``data``, or None when it is not text.

    UTF-8 (with or without BOM), UTF-16 LE/BE with a BOM, and UTF-16 without one when every
    other byte is NUL (``Out-File`` and friends write UTF-16LE); otherwise Windows-1252,
    which reads Latin-1 text the same way. NUL bytes outside UTF-16, or more than 5 % control
    characters, mean a binary file. Line endings are kept as they are.
    """
    data = bytes(data)
    if not data:
        return ""
    text = _decode(data)
    if text is None or _looks_binary(text):
        return None
    return text


def check_message_text(text: str) -> None:
    """Refuse a message whose own text is over :data:`MAX_MESSAGE_CHARS` characters."""
    if len(text) > MAX_MESSAGE_CHARS:
        raise UserFacingError(
            f"This message is {len(text):,} characters long; FlowPilot sends up to "
            f"{MAX_MESSAGE_CHARS:,} characters of typed or pasted text in one message. "
            "Attach long output as a text file instead (up to "
            f"{MAX_TEXT_ATTACHMENT_CHARS:,} characters each)."
        )


def prepare(attachments: Sequence[Attachment]) -> list[PreparedAttachment]:
    """Validate all attachments of one message at once.

    Either every attachment passes, or a UserFacingError lists every problem, one sentence
    per line, each naming the file: nothing is stored or sent half-checked.
    """
    problems: list[str] = []
    prepared: list[PreparedAttachment] = []
    for attachment in attachments:
        result = _prepare_one(attachment)
        if isinstance(result, str):
            problems.append(result)
        else:
            prepared.append(result)
    images = sum(1 for attachment in attachments if image_type(attachment.data) is not None)
    if images > MAX_IMAGES:
        problems.append(
            f"Attach at most {MAX_IMAGES} images to one message (this one has {images})."
        )
    text_chars = sum(_text_chars(p) for p in prepared if p.kind == "text")
    if text_chars > MAX_TEXT_ATTACHMENTS_CHARS:
        problems.append(
            f"The attached text files hold {text_chars:,} characters together; one message "
            f"can carry up to {MAX_TEXT_ATTACHMENTS_CHARS:,}. Send some of them in a "
            "separate message."
        )
    sent = sum(p.sent_size for p in prepared)
    if sent > MAX_ATTACHMENTS_BYTES:
        problems.append(
            f"The attachments come to {_size(sent)} as sent; one message can carry up to "
            f"{_size(MAX_ATTACHMENTS_BYTES)} (Anthropic accepts 32 MB per request, the "
            "conversation included). Send some of them in a separate message."
        )
    if problems:
        raise UserFacingError("\n".join(problems))
    return prepared


# ---- Private


def _prepare_one(attachment: Attachment) -> PreparedAttachment | str:
    """The prepared attachment, or the sentence that says why it can't be sent."""
    name, data = _display_name(attachment.name), bytes(attachment.data)
    if not data:
        return f"{name} is empty."
    found = image_type(data)
    if found is not None:
        return _prepare_image(name, data, found)
    text = decode_text(data)
    if text is None:
        return _refusal(name, data, _claims_image(attachment))
    sent, truncated = _truncate(text)
    return PreparedAttachment(
        name, "text", "text/plain", sent.encode("utf-8"), len(data), truncated
    )


def _prepare_image(name: str, data: bytes, media_type: str) -> PreparedAttachment | str:
    if len(data) > MAX_IMAGE_FILE_BYTES:
        return (
            f"{name} is {_size(len(data))}; Anthropic accepts images up to "
            f"{_size(MAX_IMAGE_BYTES)} as sent, which is {_size(MAX_IMAGE_FILE_BYTES)} "
            "on disk. Save it as a JPEG or crop it, then attach it again."
        )
    size = image_size(data, media_type)
    label = media_type.removeprefix("image/").upper()
    if size is None:
        return f"{name} is a damaged {label} image: FlowPilot cannot read its size."
    width, height = size
    if max(width, height) > MAX_IMAGE_SIDE:
        return (
            f"{name} is {width:,} × {height:,} pixels; Anthropic accepts images up to "
            f"{MAX_IMAGE_SIDE:,} pixels on each side. Scale it down, then attach it again."
        )
    return PreparedAttachment(name, "image", media_type, data, len(data))


def _refusal(name: str, data: bytes, claims_image: bool) -> str:
    for magic, what, is_image in _OTHER_FORMATS:
        if data.startswith(magic):
            if is_image:
                return f"{name} is {what}; Anthropic accepts {_FORMATS}. Save it as PNG."
            return f"{name} is {what}, not a text file or an image FlowPilot can send ({_FORMATS})."
    if claims_image:
        return f"{name} is not a {_FORMATS} image."
    return f"{name} is not a text file or an image FlowPilot can send ({_FORMATS})."


def _claims_image(attachment: Attachment) -> bool:
    claimed = attachment.media_type or mimetypes.guess_type(attachment.name)[0] or ""
    return claimed.startswith("image/")


def _display_name(name: str) -> str:
    """The file name without folders (a drop may hand over a full path)."""
    return re.split(r"[\\/]", name.strip())[-1] or "The attachment"


def _truncate(text: str) -> tuple[str, bool]:
    """At most MAX_TEXT_ATTACHMENT_CHARS characters, the note included, so a later cut at the
    limit never drops the note; cut at a line end when one is near, for whole log lines."""
    total = len(text)
    if total <= MAX_TEXT_ATTACHMENT_CHARS:
        return text, False
    note = "\n[… truncated: FlowPilot sent the first {:,} of {:,} characters]"
    budget = MAX_TEXT_ATTACHMENT_CHARS - len(note.format(MAX_TEXT_ATTACHMENT_CHARS, total))
    line_end = text.rfind("\n", budget - budget // 10, budget)
    kept = text[: line_end if line_end > 0 else budget]
    return kept + note.format(len(kept), total), True


def _text_chars(attachment: PreparedAttachment) -> int:
    return len(attachment.data.decode("utf-8", "replace"))


def _decode(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le", "replace")
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", "replace")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return data.decode(utf16, "replace")
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Mostly UTF-8 with a few broken bytes (a file cut mid-character, one stray ANSI byte)
    # stays UTF-8; otherwise it is a Windows "ANSI" file.
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    readable = len(text) - len(text.encode("ascii", "ignore")) - broken
    if readable >= 10 * broken:
        return text
    return codecs.charmap_decode(data, "strict", _WINDOWS_1252)[0]


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 LE or BE when NULs sit in every other byte of the start, as in ASCII-range
    text written as UTF-16 (binary files have NULs in both columns)."""
    sample = data[: _UTF16_SAMPLE - _UTF16_SAMPLE % 2]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_nul = sample[0 : pairs * 2 : 2].count(0)
    odd_nul = sample[1 : pairs * 2 : 2].count(0)
    if odd_nul >= pairs * 0.3 and even_nul <= pairs * 0.02:
        return "utf-16-le"
    if even_nul >= pairs * 0.3 and odd_nul <= pairs * 0.02:
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    not_text = len(_NOT_TEXT.findall(text))
    return not_text > len(text) * _MAX_NOT_TEXT_SHARE


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _gif_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 10:
        return None
    return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the segments to the first frame header (SOFn), which holds the size."""
    index, end = 2, len(data)
    for _ in range(_JPEG_MAX_SEGMENTS):
        if index + 2 > end or data[index] != 0xFF:
            return None
        fill = _JPEG_FILL.match(data, index)  # 0xFF fill bytes before the marker
        assert fill is not None  # data[index] is 0xFF: the pattern matches there
        index = fill.end()
        if index >= end:
            return None
        marker = data[index]
        index += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (0x00, 0xD8, 0xD9, 0xDA) or index + 2 > end:
            return None  # no frame header before the image data or the end
        length = int.from_bytes(data[index : index + 2], "big")
        if length < 2:
            return None
        if marker in _JPEG_FRAME:
            if length < 7 or index + 7 > end:
                return None
            height = int.from_bytes(data[index + 3 : index + 5], "big")
            width = int.from_bytes(data[index + 5 : index + 7], "big")
            return width, height
        index += length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        height = int.from_bytes(data[28:30], "little") & 0x3FFF
        return width, height
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


_SIZE_READERS = {
    "image/png": _png_size,
    "image/gif": _gif_size,
    "image/jpeg": _jpeg_size,
    "image/webp": _webp_size,
}


def _base64_size(size: int) -> int:
    return (size + 2) // 3 * 4


def _size(size: int) -> str:
    """Sizes as Windows Explorer shows them (1 MB = 1,048,576 bytes)."""
    if size >= _MiB:
        return f"{size / _MiB:.2f}".rstrip("0").rstrip(".") + " MB"
    if size >= _KiB:
        return f"{size / _KiB:.0f} KB"
    return f"{size:,} bytes"
