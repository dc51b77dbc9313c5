"""Uploaded images are decoded only under a pixel budget decided from their header, and PDFs that
carry scripts, automatic actions or embedded files are refused, on every path that takes a file."""

import io
import struct

import pytest
from PIL import Image

from portal.domain.errors import InvalidInput
from portal.integrations import safe_media
from portal.services.claims import documents, filing
from tests.factories import covered_member
from tests.untrusted_files import pdf, png_bomb, png_claiming

LIMIT = 10 * 1024 * 1024


@pytest.fixture
def decodes(monkeypatch):
    """Counts every image Pillow decodes (``Image.load``), to prove a refusal decoded nothing."""
    calls = []
    original = Image.Image.load

    def counting(self):
        calls.append(self.size)
        return original(self)

    monkeypatch.setattr(Image.Image, "load", counting)
    return calls


def test_a_9400_by_9400_png_is_refused_from_its_header_without_decoding(decodes):
    bomb = png_bomb(9400)
    assert len(bomb) < 2 * 1024 * 1024 and struct.unpack(">II", bomb[16:24]) == (9400, 9400)  # IHDR
    with pytest.raises(InvalidInput) as caught:
        documents.prepare_upload(bomb, LIMIT)
    assert caught.value.code == "upload_too_large" and "5000万像素" in caught.value.message
    assert decodes == []


def test_the_budget_is_the_pixel_count_not_the_file_size(decodes):
    small_file = png_bomb(600)
    with pytest.raises(InvalidInput) as caught:
        safe_media.reencode_image(small_file, "image/png", limits=safe_media.ImageLimits(max_pixels=500 * 500))
    assert caught.value.code == "upload_too_large"
    encoded = safe_media.reencode_image(small_file, "image/png", limits=safe_media.ImageLimits(max_pixels=600 * 600))
    assert Image.open(io.BytesIO(encoded)).size == (600, 600)
    assert decodes == []  # decoded by the child, never here


def _phone_photo(width=4000, height=3000, *, orientation=None) -> bytes:
    """A JPEG with photo-like content (noise over a gradient) and EXIF, as a phone writes it."""
    noise = Image.effect_noise((width // 4, height // 4), 40).resize((width, height))
    gradient = Image.linear_gradient("L").resize((width, height))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if orientation:
        exif[0x0112] = orientation
    output = io.BytesIO()
    Image.merge("RGB", (noise, gradient, noise)).save(output, format="JPEG", quality=90, exif=exif)
    return output.getvalue()


def test_an_accepted_photo_is_decoded_in_a_child_process_never_in_this_one(decodes):
    """The web server (or the task consumer) never decodes an uploaded image: the child turns it
    upright and re-encodes it without its metadata."""
    photo = _phone_photo(400, 300, orientation=6)
    decodes.clear()  # making the photo decoded here; uploading it must not
    stored = documents.prepare_upload(photo, LIMIT)
    assert decodes == []
    again = Image.open(io.BytesIO(stored.content))
    assert again.size == (300, 400)  # turned upright (EXIF orientation 6: rotated a quarter turn)
    assert not again.getexif()  # no maker, no orientation, no GPS


def test_a_decoder_that_runs_out_of_memory_is_refused_and_this_process_lives_on():
    """Within the pixel budget but over the child's memory: the child dies, the upload is refused
    with a message, and this process carries on (a 12 MP photo decodes in about 36 MB of pixels)."""
    photo = _phone_photo()
    with pytest.raises(InvalidInput) as caught:
        safe_media.reencode_image(photo, "image/jpeg", limits=safe_media.ImageLimits(memory_mb=90))
    assert caught.value.code == "upload_too_large" and "无法安全处理" in caught.value.message
    assert Image.open(io.BytesIO(safe_media.reencode_image(photo, "image/jpeg"))).size == (4000, 3000)


def test_a_decoder_that_takes_too_long_is_stopped():
    with pytest.raises(InvalidInput, match="无法安全处理"):
        safe_media.reencode_image(_phone_photo(), "image/jpeg", limits=safe_media.ImageLimits(cpu_seconds=1,
                                                                                              wall_seconds=0.05))


def test_a_damaged_image_is_refused_as_unreadable():
    photo = _phone_photo(400, 300)
    with pytest.raises(InvalidInput) as caught:
        documents.prepare_upload(photo[:200] + b"\0" * 50, LIMIT)
    assert caught.value.code == "upload_unreadable"


def test_an_image_past_pillow_s_own_guard_is_refused_with_the_same_message():
    with pytest.raises(InvalidInput, match="万像素"):
        documents.prepare_upload(png_claiming(15_000), LIMIT)  # 225 MP: Pillow's bomb error


def test_a_phone_photo_is_accepted_and_re_encoded():
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1500), (120, 160, 200)).save(buffer, format="JPEG")
    stored = documents.prepare_upload(buffer.getvalue(), LIMIT)
    assert stored.content_type == "image/jpeg" and Image.open(io.BytesIO(stored.content)).size == (2000, 1500)


def test_the_bomb_is_refused_as_a_claim_document_with_nothing_stored():
    member = covered_member()
    claim = filing.start_claim(member, "hospital", request_key="bomb")
    with pytest.raises(InvalidInput, match="万像素"):
        documents.upload_document(member, claim.id, kind="invoice", filename="发票.png", data=png_bomb(9400))
    assert claim.documents == []


@pytest.mark.parametrize("extra", [
    "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
    "/OpenAction 3 0 R",
    "/AA << /O << /S /Launch /F (cmd.exe) >> >>",
    "/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
    "/Names << /J#61vaScript << /Names [(x) 6 0 R] >> >>",  # #61 is "a": still /JavaScript
])
def test_a_pdf_with_scripts_actions_or_embedded_files_is_refused(extra):
    with pytest.raises(InvalidInput) as caught:
        documents.prepare_upload(pdf(extra), LIMIT)
    assert caught.value.code == "upload_type" and "打印为PDF" in caught.value.message


def test_an_action_hidden_in_a_compressed_object_stream_is_found():
    hidden = pdf(object_stream="<< /S /JavaScript /JS (app.alert(1)) >>")
    assert b"JavaScript" not in hidden
    assert safe_media.active_pdf_names(hidden) == {"JavaScript", "JS"}
    with pytest.raises(InvalidInput):
        documents.prepare_upload(hidden, LIMIT)


def test_a_plain_pdf_and_one_with_a_harmless_object_stream_are_kept_as_sent():
    plain = pdf()
    assert documents.prepare_upload(plain, LIMIT).content == plain
    harmless = pdf(object_stream="<< /Type /Font /Subtype /Type1 /BaseFont /AAAAAA+SimSun >>")
    assert safe_media.active_pdf_names(harmless) == set()
    assert documents.prepare_upload(harmless, LIMIT).content == harmless


def test_an_object_stream_that_cannot_be_looked_into_counts_as_active():
    opaque = pdf(object_stream="<< /Type /Font >>").replace(b"/FlateDecode", b"/LZWDecode  ")
    assert safe_media.active_pdf_names(opaque)
