"""Attachments are judged by content: images by magic bytes and header, text by decoding;
everything else is refused with a message that names the file. No Qt, no I/O."""

from __future__ import annotations

import random
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowpilot_desktop.assistant.attachments import (
    MAX_ATTACHMENTS_BYTES,
    MAX_IMAGE_FILE_BYTES,
    MAX_IMAGES,
    MAX_MESSAGE_CHARS,
    MAX_TEXT_ATTACHMENT_CHARS,
    Attachment,
    PreparedAttachment,
    check_message_text,
    decode_text,
    image_size,
    image_type,
    prepare,
)
from flowpilot_desktop.errors import UserFacingError

MB = 1024 * 1024


# ---- Images built by hand (no Pillow): real headers, enough body to be recognised


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = (b"\x00" + b"\x00" * 3 * width) * min(height, 4)  # a real IDAT, kept small
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int, *, frame: int = 0xC0) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dht = b"\xff\xc4\x00\x05\x00\x00\x00"  # a table segment before the frame header
    sof = (
        bytes([0xFF, frame])
        + struct.pack(">HBHHB", 17, 8, height, width, 3)
        + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    )
    return (
        b"\xff\xd8" + app0 + b"\xff" + dht + sof + b"\xff\xda\x00\x02" + b"\x00" * 8 + b"\xff\xd9"
    )


def gif(width: int, height: int, *, version: bytes = b"89a") -> bytes:
    return (
        b"GIF"
        + version
        + struct.pack("<HH", width, height)
        + b"\x80\x00\x00\xff\xff\xff\x00\x00\x00"
        + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def _riff(chunk: bytes, payload: bytes) -> bytes:
    body = b"WEBP" + chunk + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_lossy(width: int, height: int) -> bytes:
    frame = b"\x50\x02\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
    return _riff(b"VP8 ", frame + b"\x00" * 16)


def webp_lossless(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return _riff(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\x00" * 8)


def webp_extended(width: int, height: int) -> bytes:
    dims = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return _riff(b"VP8X", b"\x10\x00\x00\x00" + dims)


BUILDERS = {
    "png": (png, "image/png"),
    "jpeg": (jpeg, "image/jpeg"),
    "gif": (gif, "image/gif"),
    "webp-lossy": (webp_lossy, "image/webp"),
    "webp-lossless": (webp_lossless, "image/webp"),
    "webp-extended": (webp_extended, "image/webp"),
}

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 180


def random_bytes(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def refusal(attachments: list[Attachment]) -> str:
    with pytest.raises(UserFacingError) as raised:
        prepare(attachments)
    return str(raised.value)


# ---- Recognition by content


@pytest.mark.parametrize("kind", BUILDERS)
def test_each_image_format_is_recognised_by_content_and_sized(kind) -> None:
    build, media_type = BUILDERS[kind]
    data = build(1366, 768)
    assert image_type(data) == media_type
    assert image_size(data, media_type) == (1366, 768)
    attachment = Attachment("capture.bin", data)  # the name says nothing
    assert attachment.kind == "image" and attachment.resolved_type == media_type
    [prepared] = prepare([attachment])
    assert (prepared.kind, prepared.media_type, prepared.data) == ("image", media_type, data)


def test_gif87a_progressive_jpeg_and_fill_bytes_are_read() -> None:
    assert image_size(gif(10, 20, version=b"87a"), "image/gif") == (10, 20)
    assert image_size(jpeg(640, 480, frame=0xC2), "image/jpeg") == (640, 480)
    filled = jpeg(33, 44).replace(b"\xff\xc0", b"\xff\xff\xff\xc0")
    assert image_size(filled, "image/jpeg") == (33, 44)


def test_a_jpeg_named_png_is_sent_as_a_jpeg() -> None:
    [prepared] = prepare([Attachment("screen.png", jpeg(800, 600), "image/png")])
    assert prepared.kind == "image" and prepared.media_type == "image/jpeg"


def test_a_size_is_only_read_for_the_type_the_content_has() -> None:
    assert image_size(png(10, 10), "image/jpeg") is None
    assert image_size(png(10, 10), "text/plain") is None


@pytest.mark.parametrize("kind", BUILDERS)
def test_truncated_headers_give_no_size_and_never_raise(kind) -> None:
    build, media_type = BUILDERS[kind]
    data = build(300, 200)
    sizes = [image_size(data[:cut], media_type) for cut in range(len(data) + 1)]
    assert sizes[0] is None and sizes[8] is None
    assert sizes[-1] == (300, 200)
    assert all(size in (None, (300, 200)) for size in sizes)


def test_a_text_file_with_an_image_name_is_text() -> None:
    attachment = Attachment("notes.png", b"ipconfig /all output\r\n", "image/png")
    assert attachment.kind == "text" and attachment.resolved_type == "text/plain"
    [prepared] = prepare([attachment])
    assert prepared.kind == "text" and prepared.media_type == "text/plain"
    assert prepared.data == b"ipconfig /all output\r\n"


# ---- Refusals, each naming the file


def test_random_bytes_named_png_are_refused_by_name() -> None:
    message = refusal([Attachment("photo.png", random_bytes(4096), "image/png")])
    assert message == "photo.png is not a PNG, JPEG, GIF or WebP image."


def test_a_program_is_refused_by_name() -> None:
    assert decode_text(EXE) is None
    message = refusal([Attachment("setup.exe", EXE)])
    assert message.startswith("setup.exe is a Windows program")
    assert "not a text file or an image FlowPilot can send (PNG, JPEG, GIF or WebP)" in message


def test_unknown_binary_and_unsupported_image_formats_say_what_to_do() -> None:
    assert refusal([Attachment("dump.bin", b"\x01\x02\x03" * 100 + b"\x00")]) == (
        "dump.bin is not a text file or an image FlowPilot can send (PNG, JPEG, GIF or WebP)."
    )
    bmp = b"BM" + b"\x00" * 60
    message = refusal([Attachment("scan.bmp", bmp)])
    assert message.startswith("scan.bmp is a BMP image") and "Save it as PNG" in message


def test_an_empty_file_is_refused() -> None:
    assert refusal([Attachment("event.log", b"")]) == "event.log is empty."


def test_an_oversize_image_is_refused_with_its_size() -> None:
    scan = png(2000, 1500) + b"\x00" * int(7.2 * MB)
    message = refusal([Attachment("scan.png", scan)])
    assert message.startswith("scan.png is 7.2 MB; Anthropic accepts images up to 5 MB")


def test_the_largest_image_whose_base64_fits_5_mb_passes() -> None:
    image = png(100, 100)
    fits = image + b"\x00" * (MAX_IMAGE_FILE_BYTES - len(image))
    assert len(prepare([Attachment("fits.png", fits)])) == 1
    message = refusal([Attachment("over.png", fits + b"\x00")])
    assert message.startswith("over.png is 3.75 MB")


def test_an_image_over_8000_pixels_is_refused_with_its_dimensions() -> None:
    message = refusal([Attachment("panorama.png", png(9000, 600))])
    assert message.startswith("panorama.png is 9,000 × 600 pixels")
    assert "8,000 pixels on each side" in message


def test_a_damaged_image_header_is_refused() -> None:
    damaged = png(10, 10)[:20]
    assert refusal([Attachment("cut.png", damaged)]).startswith("cut.png is a damaged PNG image")


def test_eleven_images_are_refused() -> None:
    images = [Attachment(f"{n}.png", png(10, 10)) for n in range(MAX_IMAGES + 1)]
    assert refusal(images) == "Attach at most 10 images to one message (this one has 11)."
    assert len(prepare(images[:MAX_IMAGES])) == MAX_IMAGES


def test_several_problems_are_listed_in_one_message_and_nothing_passes() -> None:
    message = refusal(
        [
            Attachment("event.log", b"fine text"),
            Attachment("setup.exe", EXE),
            Attachment("photo.png", random_bytes(2048)),
            Attachment("empty.txt", b""),
            Attachment("scan.png", png(10, 10) + b"\x00" * (6 * MB)),
        ]
    )
    lines = message.splitlines()
    assert len(lines) == 4
    for name in ("setup.exe", "photo.png", "empty.txt", "scan.png"):
        assert sum(line.startswith(name) for line in lines) == 1, name
    assert "event.log" not in message


def test_all_attachments_together_stay_under_the_request_size() -> None:
    image = png(100, 100)
    big = image + b"\x00" * (MAX_IMAGE_FILE_BYTES - len(image))
    images = [Attachment(f"{n}.png", big) for n in range(6)]
    message = refusal(images)
    assert "as sent" in message and "32 MB per request" in message
    assert sum(p.sent_size for p in prepare(images[:4])) <= MAX_ATTACHMENTS_BYTES


def test_all_text_files_together_are_capped() -> None:
    logs = [Attachment(f"{n}.log", b"x" * 150_000 + b"\n") for n in range(3)]
    assert "450,003 characters together" in refusal(logs)
    assert len(prepare(logs[:2])) == 2


# ---- Text decoding

TEXT = "Event 4625: An account failed to log on.\r\nAccount: Müller — 0x80070005\r\n"


@pytest.mark.parametrize(
    "encoded",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        b"\xff\xfe" + TEXT.encode("utf-16-le"),
        b"\xfe\xff" + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-16-le"),  # Out-File / Get-WinEvent without a BOM
        TEXT.encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16le-bom", "utf-16be-bom", "utf-16le", "utf-16be"],
)
def test_unicode_logs_are_decoded_and_line_endings_kept(encoded) -> None:
    assert decode_text(encoded) == TEXT
    [prepared] = prepare([Attachment("events.txt", encoded)])
    assert prepared.data.decode("utf-8") == TEXT
    assert prepared.original_size == len(encoded) and not prepared.truncated


def test_latin1_and_windows_1252_logs_are_decoded() -> None:
    latin1 = "Zugriff verweigert für Benutzer Müller (Größe: 5 µs)\n"
    assert decode_text(latin1.encode("latin-1")) == latin1
    ansi = "“Quoted” – € 5\n"
    assert decode_text(ansi.encode("cp1252")) == ansi


def test_utf8_with_a_broken_tail_stays_utf8() -> None:
    text = "Benutzer Müller, Größe, Übersicht " * 20
    data = text.encode("utf-8") + "ü".encode()[:1]  # cut mid-character
    assert decode_text(data) == text + "\ufffd"


def test_escape_sequences_and_form_feeds_are_text() -> None:
    colored = "\x1b[31mERROR\x1b[0m disk full\f\n\tnext page\n"
    assert decode_text(colored.encode()) == colored


def test_control_characters_mean_binary() -> None:
    assert decode_text(bytes(range(1, 32)) * 10) is None
    assert decode_text(random_bytes(300, seed=3).replace(b"\x00", b"\x01")) is None


def test_a_long_log_is_truncated_with_a_note() -> None:
    line = "2026-11-24 10:00:00 Information Service Control Manager 7036 running\r\n"
    log = line * (1_200_000 // len(line) + 1)
    [prepared] = prepare([Attachment("System.log", log.encode("utf-8"))])
    sent = prepared.data.decode("utf-8")
    assert prepared.truncated and prepared.original_size == len(log)
    assert len(sent) <= MAX_TEXT_ATTACHMENT_CHARS
    assert sent.endswith(f" of {len(log):,} characters]")
    kept = int(sent.rsplit("the first ", 1)[1].split(" of")[0].replace(",", ""))
    assert sent.startswith(log[:kept]) and kept > MAX_TEXT_ATTACHMENT_CHARS - 1000
    assert "\n[… truncated: FlowPilot sent the first " in sent


def test_a_text_at_the_limit_is_not_truncated() -> None:
    [prepared] = prepare([Attachment("a.txt", b"a" * MAX_TEXT_ATTACHMENT_CHARS)])
    assert not prepared.truncated and len(prepared.data) == MAX_TEXT_ATTACHMENT_CHARS


def test_prepared_attachments_are_plain_values() -> None:
    [prepared] = prepare([Attachment("C:\\Users\\tech\\Desktop\\ipconfig.txt", b"x")])
    assert prepared == PreparedAttachment("ipconfig.txt", "text", "text/plain", b"x", 1, False)


# ---- The message text


def test_message_text_over_the_cap_is_refused_with_a_clear_message() -> None:
    check_message_text("x" * MAX_MESSAGE_CHARS)
    with pytest.raises(UserFacingError) as raised:
        check_message_text("x" * (MAX_MESSAGE_CHARS + 1))
    message = str(raised.value)
    assert "100,001 characters" in message and "100,000" in message
    assert "text file" in message


# ---- Never raises

MAGIC = [
    b"",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xff\xff",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"RIFF\x00\x00\x00\x00WEBPVP8L",
    b"RIFF\x00\x00\x00\x00WEBPVP8X",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
]
MEDIA_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(MAGIC), st.binary(max_size=300), st.sampled_from(MEDIA_TYPES))
def test_decoding_and_sniffing_never_raise(magic, tail, media_type) -> None:
    data = magic + tail
    text = decode_text(data)
    assert text is None or isinstance(text, str)
    found = image_type(data)
    assert found is None or found in MEDIA_TYPES
    size = image_size(data, media_type)
    assert size is None or (size[0] > 0 and size[1] > 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MAGIC), st.binary(max_size=200)), max_size=4))
def test_prepare_either_passes_or_refuses_with_a_user_facing_error(files) -> None:
    attachments = [Attachment(f"f{n}.png", magic + tail) for n, (magic, tail) in enumerate(files)]
    try:
        prepared = prepare(attachments)
    except UserFacingError as error:
        assert str(error)
    else:
        assert len(prepared) == len(attachments)
