"""QR codes as inline SVG (segno): no image files, no script, printable in black on white.

The family's visit page shows the QR code of the visit pass: it encodes the address of the
staff console's pass page, which only signed-in staff of the visit's facility can open, so the
code carries nothing about the household and scanning it shows a family nothing.
"""

from __future__ import annotations

import uuid

import segno
from markupsafe import Markup, escape


def pass_path(facility_id: uuid.UUID, visit_id: uuid.UUID) -> str:
    """The console's visit pass of one visit (staff of its facility only)."""
    return f"/staff/facilities/{facility_id}/visits/{visit_id}/pass"


def qr_svg(data: str, label: str, *, scale: int = 4) -> Markup:
    """``data`` as a QR code (error correction M, quiet zone of 4 modules), an inline SVG image
    named ``label`` for screen readers."""
    code = segno.make(data, error="m", micro=False)
    svg = code.svg_inline(scale=scale, border=4, dark="#000", light="#fff", svgclass="qr")
    named = f'<svg role="img" aria-label="{escape(label)}" '
    return Markup(svg.replace("<svg ", named, 1))  # noqa: S704  # segno's SVG, the label escaped
